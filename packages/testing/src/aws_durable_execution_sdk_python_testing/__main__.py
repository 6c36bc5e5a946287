"""Entry point of ``python -m aws_durable_execution_sdk_python_testing``."""

import sys

from aws_durable_execution_sdk_python_testing._cli import main

sys.exit(main())
