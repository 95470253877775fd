"""The abstract values: what the analysis knows about a Python value, and how two are joined.

A value is known by its *kind*: the boto3 and botocore modules, sessions and the DynamoDB
objects they make (:class:`Aws` of a :class:`Kind`), the code's own functions, classes,
instances and modules, strings (a literal, or the value of an environment variable), containers
of tracked values, and objects of modules outside the folder by their dotted path. Between them,
:data:`NOTHING` (no value yet: bottom) and :data:`UNKNOWN` (anything: top).

The seam: these are plain frozen data and the lattice operations on them (:func:`join`,
:func:`container`, :func:`plain`), with no knowledge of the syntax tree or of the SDK's models,
so that every rule of the interpreter combines values the same way. Every operation must be
monotone (a more known input never gives a less known output), or the rounds to a fixed point
can oscillate.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the program model refers to values at run time; values to it only in annotations
    from lambda_dynamodb.analysis.program import Class, Function


class Kind(Enum):
    BOTO3 = "boto3"
    SESSION_MODULE = "boto3.session"
    SESSION = "session"
    BOTOCORE = "botocore"
    BOTOCORE_SESSION_MODULE = "botocore.session"
    BOTOCORE_SESSION = "botocore session"
    CLIENT = "client"
    RESOURCE = "resource"
    TABLE = "table"
    TABLES = "tables"
    META = "meta"
    BATCH_WRITER = "batch writer"
    PAGINATOR = "paginator"
    WAITER = "waiter"


DYNAMODB_KINDS = frozenset(Kind) - {Kind.BOTO3, Kind.SESSION_MODULE, Kind.SESSION}
DYNAMODB_KINDS -= {Kind.BOTOCORE, Kind.BOTOCORE_SESSION_MODULE, Kind.BOTOCORE_SESSION}


class Value:
    """What the analysis knows about a value."""


@dataclass(frozen=True)
class Unknown(Value):
    """Could be anything (top)."""


@dataclass(frozen=True)
class Nothing(Value):
    """No value yet, or ``None`` (bottom: joins to the other side)."""


@dataclass(frozen=True)
class Other(Value):
    """Known not to be a DynamoDB object: a response, a number, another service's client."""


UNKNOWN: Value = Unknown()
NOTHING: Value = Nothing()
OTHER: Value = Other()


@dataclass(frozen=True)
class Str(Value):
    text: str


@dataclass(frozen=True)
class Env(Value):
    """The value of one environment variable: a string, known by the variable's name."""

    name: str


@dataclass(frozen=True)
class Ext(Value):
    """An object of a module outside the folder (not the SDK), by its dotted path, e.g. ``os.environ``.

    Unless modelled (the standard library's environment, threads and executors, the libraries
    of :mod:`.libraries`) it is as unknown as :data:`UNKNOWN`; the path is kept so that
    calls into a library can be recognised.
    """

    path: str


@dataclass(frozen=True)
class Lib(Value):
    """An object a modelled library made: which model (``executor``, ``parameters``...) and its table."""

    model: str
    table: str | None = None


@dataclass(frozen=True)
class Aws(Value):
    kind: Kind
    own_credentials: bool = False
    detail: str | None = None  # a Table's name as the code gives it (see table_ref); a paginator's, waiter's or collection's operation


@dataclass(frozen=True)
class BoundAttr(Value):
    """A factory method taken without calling it (``client = boto3.client``)."""

    receiver: Aws
    name: str


@dataclass(frozen=True)
class Functions(Value):
    functions: frozenset[Function]
    bound: Value | None = None  # the instance (or class) a method is bound to


@dataclass(frozen=True)
class ClassRef(Value):
    cls: Class


@dataclass(frozen=True)
class Instance(Value):
    cls: Class


@dataclass(frozen=True)
class ModuleRef(Value):
    name: str


@dataclass(frozen=True)
class Container(Value):
    """A list, tuple, set or dict built from values worth tracking (e.g. a dispatch table)."""

    element: Value  # an item (a dict's value)
    mapping: bool = False  # a dict: iterating it gives its keys, not its values


#: Values that are plain data: strings (known or from the environment) and other non-AWS values.
STRINGS = (Str, Env, Other)


def table_ref(value: Value) -> str | None:
    """How the code names a table: ``env:NAME`` (from that environment variable), a literal, or None."""
    if isinstance(value, Env):
        return f"env:{value.name}"
    return value.text if isinstance(value, Str) else None


ENVIRON: Value = Ext("os.environ")


def env(name: Value) -> Value:
    """``os.environ[name]``: the variable's value when its name is a literal."""
    if name == NOTHING:
        return NOTHING
    return Env(name.text) if isinstance(name, Str) else OTHER


def ref_value(ref: str | None) -> Value:
    """The string value of a table reference (``table.name``)."""
    if ref is None:
        return OTHER
    return Env(ref[4:]) if ref.startswith("env:") else Str(ref)


def join(a: Value, b: Value) -> Value:
    if a == b or b == NOTHING:
        return a
    if a == NOTHING:
        return b
    if isinstance(a, Functions) and isinstance(b, Functions) and a.bound == b.bound:
        return Functions(a.functions | b.functions, a.bound)
    if isinstance(a, Container) and isinstance(b, Container) and a.mapping == b.mapping:
        return container(join(a.element, b.element), a.mapping)
    if isinstance(a, Aws) and isinstance(b, Aws) and a.kind == b.kind == Kind.TABLE and a.own_credentials == b.own_credentials:
        return Aws(Kind.TABLE, a.own_credentials)  # tables of different names: the name is not one literal
    if isinstance(a, Lib) and isinstance(b, Lib) and a.model == b.model:
        return Lib(a.model)  # objects on different tables: the table is not one name
    if isinstance(a, STRINGS) and isinstance(b, STRINGS):
        return OTHER  # two different strings (or environment variables): neither names the table
    return UNKNOWN


def container(element: Value, mapping: bool = False) -> Value:
    # Nesting is capped so that self-referencing containers reach a fixed point.
    if isinstance(element, Container) and isinstance(element.element, Container):
        return Container(UNKNOWN, mapping)
    return Container(element, mapping)


def plain(*values: Value) -> Value:
    """The result of an operation on plain values (strings, numbers): nothing if one is nothing.

    Every operation on values must be monotone (a more known input never gives a less known
    output), or the iteration to a fixed point can oscillate.
    """
    if NOTHING in values:
        return NOTHING
    return OTHER if all(isinstance(v, STRINGS) for v in values) else UNKNOWN



#: What a template's text holds for each f-string part that is not a constant (see ``_template``).
PLACEHOLDER = "_code_calls_placeholder_"
