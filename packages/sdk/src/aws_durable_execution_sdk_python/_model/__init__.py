"""Wire model: the shapes of the Lambda durable-execution API, named as botocore names them."""
