"""Service layer: the calls the SDK makes to the durable-execution API, behind one protocol."""
