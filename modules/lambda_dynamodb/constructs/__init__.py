"""The CDKTF constructs: Table, ImportedTable, FunctionRole, Function, LambdaDynamoDb."""
