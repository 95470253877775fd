"""The code analysis: which DynamoDB API calls a Lambda function's code can make, found by reading it (never running it).

Approach: every ``.py`` file of the source folder is parsed with :mod:`ast` and interpreted
abstractly. Values are tracked by *kind*: the boto3 module, a session, a DynamoDB client,
service resource, ``Table``, batch writer, paginator or waiter; the code's own functions,
classes, instances and modules; string constants and environment variables (``os.environ``,
``os.getenv``: the value of variable X); objects of modules outside the folder by their dotted
path. The interpretation is flow-insensitive: a name's kind is the join of everything assigned
to it in its scope, a parameter's the join of what every call site in the analysed files
passes, a function's result the join of its ``return`` values. Rounds over the whole program
grow these to a fixed point (first assuming nothing of functions no call reaches yet, then
treating their parameters as unknown); a last round records each method call on a DynamoDB
kind as the operation the SDK models say it sends, with the IAM actions that authorize it
(both from :mod:`lambda_dynamodb.iam.dynamodb_operations`), and the calls libraries make on the
function's behalf (:mod:`.libraries`).

Tables: each call names its table as the code does: ``env:X`` when the name is read from the
environment variable X (directly, through constants, class or instance attributes, dataclass
defaults), the literal, or None (an f-string, a concatenation, two different names). Batches
and transactions are one call per table, each with that table's actions; transaction entries
are read from the literal, from a comprehension of a literal dict, or from a list grown with
``append``/``extend``/``+=`` in the function that binds it.

From the handler: the rounds record which code runs which (calls, callbacks handed to code
the analysis does not see, decorators that register a function, imports, thread targets and
executor ``submit``/``map``). Given a handler, only its function, the import-time code of its
module and of every analysed module they import, and what those run count; calls made from
anywhere else give no values to parameters, and what they record is listed as unreachable.

Limits: what the analysis cannot follow is reported as :class:`Unresolved`, never guessed:
DynamoDB method names called on values passed in from outside the folder, method names in
variables, transactions and PartiQL statements that are not literal, calls through a session
with its own credentials, library calls that take a table and are not modelled. Decorators are
assumed to pass a function's arguments and result through. Not modelled (so not seen): values
put into containers after they are built (``list.append``, except transaction entries),
``super()``, ``functools.partial``, ``setattr``, aioboto3 and other wrappers, code loaded
dynamically (``importlib``, ``exec``). A name reassigned to values of different kinds is
unknown rather than split by control flow. A copy of boto3 or botocore bundled in the folder
is the SDK: modelled, not read.

The modules, each one concern (a rule of the interpreter lives with the values it is about):

- :mod:`.model`: the results (:class:`CodeCall`, :class:`Unresolved`, :class:`CodeAnalysis`):
  all that the rest of the library (the permission check, the manifest, the CLI) reads;
- :mod:`.analyser`: :func:`analyse`, one folder from files to results;
- :mod:`.values`: the abstract values and their join;
- :mod:`.program`: the parsed modules, scopes, functions, classes and imports (syntax only);
- :mod:`.interpreter`: the rounds to a fixed point, reachability from the handler, statements;
  with its parts :mod:`.state` (what they share), :mod:`.names` (scoping, imports),
  :mod:`.expressions` (expressions, calls), :mod:`.members` (the code's own objects),
  :mod:`.outside` (the standard library and modelled libraries), :mod:`.sdk` (boto3 and
  botocore: methods, operations, actions, tables, indexes) and :mod:`.entries` (the literal
  entries of batches and transactions);
- :mod:`.libraries`: the libraries' DynamoDB calls, as data from their documentation.
"""

from lambda_dynamodb.analysis.analyser import analyse
from lambda_dynamodb.analysis.model import CodeAnalysis, CodeCall, Unresolved, display_root

__all__ = ["CodeAnalysis", "CodeCall", "Unresolved", "analyse", "display_root"]
