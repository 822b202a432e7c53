"""Task declarations read from the domains' source, without importing them (or TensorFlow).

`resuite list` and `resuite train TASK --help` answer in about a second: the classes in
`domains/**/task.py` stay the one source of truth, and their declarations are read from the
source (`ast`), following the constants they name into the modules that define them; a package
whose declarations are not such constant expressions is imported instead. Missing extras are
found the same way, by the modules each domain imports (`importlib.util.find_spec`).

Example:
```python
from core import task_source
task_source.describe_tasks()["fundus.dr"].description   # read from domains/fundus/task.py
task_source.missing_extras()                           # {} when every extra is installed
```
"""

import ast
import dataclasses
import functools
import importlib
import importlib.util
import json
import operator
import pathlib
import pkgutil
import re
import sys

from core import registry
from core.registry import Option, TaskInfo, TaskRunner, _import_domain, _missing_reason


def missing_extras():
    """{domain: reason with the install hint} of the domains whose extra is missing, importing nothing.

    Example:
    ```python
    missing_extras()   # {} when every extra is installed
    ```
    """
    return _missing_extras(_Source())


def _missing_extras(source):
    import domains

    missing = dict(registry._UNAVAILABLE)
    for module in pkgutil.iter_modules(domains.__path__):
        if module.ispkg and module.name not in missing:
            name = source.missing_module(f"domains.{module.name}")
            if name:
                missing[module.name] = _missing_reason(module.name, name)
    return dict(sorted(missing.items()))


def task_modules():
    """Dotted names of every `task.py` under the `domains` package (each path of `domains.__path__`).

    Example:
    ```python
    task_modules()    # ['domains.aramaic.task', 'domains.fundus.task', ..., 'domains.speech.task']
    ```
    """
    import domains

    names = set()
    for base in map(pathlib.Path, domains.__path__):
        names.update(".".join(("domains", *path.relative_to(base).with_suffix("").parts))
                     for path in base.rglob("task.py"))
    return sorted(names)


def read_tasks(import_unreadable=True):
    """{name: TaskInfo} of the tasks of every available domain, read from their source.

    Args:
        import_unreadable: bool. A `task.py` whose declarations the reader cannot follow (not
            constant expressions) is imported and its classes described; False leaves its tasks
            out. Defaults to True.

    Example:
    ```python
    from core.task_source import read_tasks
    sorted(read_tasks())          # ['aramaic.letters', 'fundus.dr', ...], nothing imported
    ```
    """
    source, infos = _Source(), {}
    unavailable = _missing_extras(source)
    for module in task_modules():
        domain = module.split(".")[1]
        if domain in unavailable:
            continue
        try:
            infos.update(source.tasks(module))
        except _Unreadable:
            if import_unreadable:
                _import_domain(domain, module.rpartition(".")[0])
                infos.update({name: TaskInfo.of(task) for name, task in registry._TASKS.items() if task.__module__ == module})
    return dict(sorted(infos.items()))


def describe_tasks():
    """{name: TaskInfo} of every task: `read_tasks()`, with the tasks registered in this process.

    Example:
    ```python
    print(describe_tasks()["har.resnet1d"].options_help())   # what `resuite train har.resnet1d --help` lists
    ```
    """
    infos = read_tasks()
    infos.update({name: TaskInfo.of(task) for name, task in registry._TASKS.items()})
    return dict(sorted(infos.items()))


def declared(name, attribute):
    """What the task `name` declares for a `TaskRunner` class attribute, read from its source.

    A task registered in this process is asked directly; otherwise only the `task.py` files of its
    domain (the name's first part) are read, and nothing is imported: what `resuite` needs to know
    before TensorFlow starts (`cpu_kernels`).

    Args:
        name: str. A task name, e.g. "lamost.rrnet".
        attribute: str. A class attribute of `core.registry.TaskRunner`, e.g. "cpu_kernels".

    Returns:
        (value, module) — the declared value and the module that defines the task — or None when
        no task of that name is found or its declaration is not a constant the reader can follow.

    Example:
    ```python
    declared("lamost.rrnet", "cpu_kernels")   # ('onednn', 'domains.lamost.task'), nothing imported
    declared("nosuch.task", "cpu_kernels")    # None
    ```
    """
    if not hasattr(TaskRunner, attribute):
        raise ValueError(f"core/task_source.py reads TaskRunner class attributes only. Received: attribute={attribute!r}")
    if name in registry._TASKS:
        task = registry._TASKS[name]
        return getattr(task, attribute), task.__module__
    source = _Source()
    for module in task_modules():
        if module.split(".")[1] != name.split(".")[0]:
            continue
        try:
            attributes = source.task_attributes(module).get(name)
            if attributes is not None:
                return _concrete(attributes[attribute]()), module
        except _Unreadable:
            continue
    return None


class _Unreadable(Exception):
    """A declaration that is not a constant expression the reader can follow."""


@dataclasses.dataclass(frozen=True)
class _Definition:
    """A class or function defined in our source: its module and `ast` node."""

    module: str
    node: object


@dataclasses.dataclass(frozen=True)
class _ModuleName:
    name: str


class _Opaque:
    """A dict value the reader could not evaluate: its keys are still usable (`tuple(d)`)."""


_BUILTINS = {f.__name__: f for f in (bool, int, float, str, list, tuple, dict, set, len, sorted, range, min, max, abs,
                                     round)}
_KEY_FUNCTIONS = (tuple, list, set, sorted, len, min, max)
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow, ast.Mod: operator.mod,
              ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_DECLARED = ("name", "description", "samples", "epochs", "batch_size", "inputs", "options", "model_class")


def _concrete(value):
    if isinstance(value, _Opaque):
        raise _Unreadable("a value the reader could not evaluate")
    if isinstance(value, dict):
        for item in value.items():
            _concrete(item)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            _concrete(item)
    return value


class _Source:
    """Module-level names of `core` and `domains` modules, resolved from their source without importing them."""

    def __init__(self):
        self._trees, self._bindings, self._files, self._missing = {}, {}, {}, {}

    def file(self, module):
        """The source file of `module`, or None when it is not one of ours or absent."""
        if module not in self._files:
            parts, found = module.split("."), None
            if parts[0] in ("core", "domains"):
                for base in importlib.import_module(parts[0]).__path__:  # both are light
                    path = pathlib.Path(base, *parts[1:])
                    candidates = [path / "__init__.py"] + ([path.with_suffix(".py")] if parts[1:] else [])
                    found = next((c for c in candidates if c.is_file()), None)
                    if found:
                        break
            self._files[module] = found
        return self._files[module]

    def tree(self, module):
        if module not in self._trees:
            path = self.file(module)
            if path is None:
                raise _Unreadable(f"no source file for {module}")
            self._trees[module] = ast.parse(path.read_text(), str(path))
        return self._trees[module]

    def _absolute(self, node, module):
        if not node.level:
            return node.module
        base = module.split(".")
        base = base[:len(base) - node.level + (1 if self.file(module).name == "__init__.py" else 0)]
        return ".".join(base + ([node.module] if node.module else []))

    def bindings(self, module):
        """{name: ("expr", node) | ("module", name) | ("from", module, name) | ("def", node)} at module level."""
        if module not in self._bindings:
            found = {}
            for node in self.tree(module).body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                        found.update(_assigned(target, node.value))
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        found[alias.asname or alias.name.split(".")[0]] = (
                            ("module", alias.name) if alias.asname else ("module", alias.name.split(".")[0]))
                elif isinstance(node, ast.ImportFrom):
                    base = self._absolute(node, module)
                    for alias in node.names:
                        found[alias.asname or alias.name] = ("from", base, alias.name)
                elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[node.name] = ("def", node)
            self._bindings[module] = found
        return self._bindings[module]

    def resolve(self, module, name, depth=0):
        if depth > 50:
            raise _Unreadable(f"{module}.{name}: too deep")
        binding = self.bindings(module).get(name)
        if binding is None:
            if name in _BUILTINS:
                return _BUILTINS[name]
            raise _Unreadable(f"{module} does not bind {name}")
        kind = binding[0]
        if kind == "expr":
            return self.evaluate(binding[1], module, depth=depth + 1)
        if kind == "module":
            return _ModuleName(binding[1])
        if kind == "def":
            return _Definition(module, binding[1])
        base, attribute = binding[1:]
        if self.file(f"{base}.{attribute}") is not None:
            return _ModuleName(f"{base}.{attribute}")
        if self.file(base) is None:
            raise _Unreadable(f"{base}.{attribute} is not ours")
        return self.resolve(base, attribute, depth + 1)

    def evaluate(self, node, module, scope=None, depth=0):
        """The value of the expression `node` in `module` (`scope`: local names to thunks)."""
        scope = scope or {}

        def value(child, local=scope):
            return self.evaluate(child, module, local, depth)

        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return scope[node.id]() if node.id in scope else self.resolve(module, node.id, depth)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    items.extend(_concrete(value(element.value)))
                else:
                    items.append(value(element))
            return {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)](items)
        if isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):
                raise _Unreadable("a dict with **")
            return {_concrete(value(key)): _try(lambda v=v: value(v)) for key, v in zip(node.keys, node.values)}
        if isinstance(node, ast.Attribute):
            base = value(node.value)
            if isinstance(base, _ModuleName):
                return self.resolve(base.name, node.attr, depth + 1)
            raise _Unreadable(f"attribute {node.attr} of a {type(base).__name__}")
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
            try:
                return _concrete(value(node.value))[_concrete(value(node.slice))]
            except (KeyError, IndexError, TypeError) as error:
                raise _Unreadable(f"{ast.unparse(node)}: {type(error).__name__}") from None
        if isinstance(node, ast.JoinedStr):
            return "".join(self._formatted(part, value) for part in node.values)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](_concrete(value(node.left)), _concrete(value(node.right)))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](_concrete(value(node.operand)))
        if isinstance(node, ast.Call):
            return self._call(node, value)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            items = list(self._comprehension(node.elt, node.generators, module, scope, depth))
            return set(items) if isinstance(node, ast.SetComp) else items if isinstance(node, ast.ListComp) else tuple(items)
        raise _Unreadable(f"{type(node).__name__} expression")

    def _formatted(self, part, value):
        if isinstance(part, ast.Constant):
            return part.value
        item = _concrete(value(part.value))
        item = {-1: item, 115: str(item), 114: repr(item), 97: ascii(item)}[part.conversion]
        spec = "" if part.format_spec is None else value(part.format_spec)
        return format(item, spec)

    def _call(self, node, value):
        function = value(node.func)
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(k.arg is None for k in node.keywords):
            raise _Unreadable("a call with * or **")
        args = [value(arg) for arg in node.args]
        kwargs = {keyword.arg: _concrete(value(keyword.value)) for keyword in node.keywords}
        if function in _KEY_FUNCTIONS and len(args) == 1 and isinstance(args[0], dict):
            return function(_concrete(list(args[0])) if function is not len else args[0])
        args = [_concrete(arg) for arg in args]
        if function in _BUILTINS.values():
            return function(*args, **kwargs)
        if _is_definition(function, "core.registry", "Option"):
            return Option(*args, **kwargs)
        raise _Unreadable(f"a call of {ast.unparse(node.func)}")

    def _comprehension(self, element, generators, module, scope, depth):
        first, rest = generators[0], generators[1:]
        for item in _concrete(self.evaluate(first.iter, module, scope, depth)):
            local = {**scope, **{name: (lambda v=v: v) for name, v in _unpack(first.target, item).items()}}
            if all(self.evaluate(test, module, local, depth) for test in first.ifs):
                if rest:
                    yield from self._comprehension(element, rest, module, local, depth)
                else:
                    yield self.evaluate(element, module, local, depth)

    def class_attributes(self, definition):
        """{attribute: thunk} of a class, over those of its bases (TaskRunner's at the root)."""
        attributes = {}
        for base in reversed(definition.node.bases):
            target = self.evaluate(base, definition.module)
            if _is_definition(target, "core.registry", "TaskRunner"):
                attributes.update({name: (lambda name=name: getattr(TaskRunner, name))
                                   for name in (*_DECLARED, "cpu_kernels")})
            elif isinstance(target, _Definition) and isinstance(target.node, ast.ClassDef):
                attributes.update(self.class_attributes(target))
            else:
                raise _Unreadable(f"base class {ast.unparse(base)}")
        own = {}
        for node in definition.node.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    own.update(_assigned(target, node.value))
        scope = {}
        for name, binding in own.items():
            if binding[0] != "expr":
                raise _Unreadable(f"class attribute {name}")
            scope[name] = functools.partial(self.evaluate, binding[1], definition.module, scope)
        attributes.update(scope)
        return attributes

    def task_attributes(self, module):
        """{task name: {attribute: thunk}} of the `@register_task` classes of `module`.

        Raises:
            _Unreadable: a name or base class the reader cannot follow.
        """
        found = {}
        for node in self.tree(module).body:
            if isinstance(node, ast.ClassDef) and any(
                    _is_definition(self.evaluate(d, module), "core.registry", "register_task")
                    for d in node.decorator_list):
                attributes = self.class_attributes(_Definition(module, node))
                found[attributes["name"]()] = attributes
        return found

    def tasks(self, module):
        """{name: TaskInfo} of the `@register_task` classes of `module`.

        Raises:
            _Unreadable: a declaration the reader cannot follow.
        """
        infos = {}
        for attributes in self.task_attributes(module).values():
            values = {name: attributes[name]() for name in _DECLARED}
            presets = None
            if values["model_class"] is not None and "preset" in values["inputs"]:
                presets = self.presets(values["model_class"])
            info = TaskInfo(values["name"], values["description"], tuple(values["samples"]), values["epochs"],
                            values["batch_size"], tuple(values["inputs"]), tuple(values["options"]), presets, module)
            infos[info.name] = _concrete_info(info)
        return infos

    def presets(self, model_class):
        """The names of the shipped presets of a model class (`core.presets.PresetMixin.presets`)."""
        if not (isinstance(model_class, _Definition) and isinstance(model_class.node, ast.ClassDef)):
            raise _Unreadable("model_class is not a class of ours")
        if {"preset_package", "presets"} & self.bindings_of_class(model_class):
            raise _Unreadable(f"{model_class.node.name} finds its presets its own way")
        package = model_class.module.rpartition(".")[0]
        folder = self.file(package).parent / "presets"
        model_file, metadata_file = self.resolve("core.presets", "MODEL_FILE"), self.resolve("core.presets", "METADATA_FILE")
        if not folder.is_dir():
            return ()
        return tuple(path.name for path in sorted(folder.iterdir()) if (path / model_file).is_file()
                     and json.loads((path / metadata_file).read_text()).get("class") == model_class.node.name)

    def bindings_of_class(self, definition):
        names = {node.name for node in definition.node.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for base in definition.node.bases:
            target = _try(lambda base=base: self.evaluate(base, definition.module))
            if isinstance(target, _Definition) and isinstance(target.node, ast.ClassDef) and target.module != "core.presets":
                names |= self.bindings_of_class(target)
        return names

    def missing_module(self, module):
        """The first third-party module that importing `module` would miss, or None.

        Follows the module-level imports of our own modules (parents first, as `import` does);
        looks each other module up with `importlib.util.find_spec` (nothing is imported).
        """
        if module in self._missing or self.file(module) is None:
            return self._missing.get(module)
        self._missing[module] = None  # an import circle ends here
        parent = module.rpartition(".")[0]
        missing = parent and self.missing_module(parent)
        for name in [] if missing else self._module_imports(module):
            top = name.split(".")[0]
            if top in ("core", "domains"):
                missing = self.missing_module(name)
            elif top not in sys.stdlib_module_names and importlib.util.find_spec(top) is None:
                missing = top
            if missing:
                break
        self._missing[module] = missing or None
        return self._missing[module]

    def _module_imports(self, module):
        """The modules that `module` imports at module level, in order (its import lines alone are parsed)."""
        text = _TRIPLE_QUOTED.sub("", self.file(module).read_text())
        try:
            body = ast.parse("\n".join(_IMPORT_LINE.findall(text))).body
        except SyntaxError:
            body = self.tree(module).body
        names = []
        for node in body:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(node, module)
                names += [base] + [f"{base}.{alias.name}" for alias in node.names if self.file(f"{base}.{alias.name}")]
        return names


_TRIPLE_QUOTED = re.compile(r'""".*?"""|\'\'\'.*?\'\'\'', re.S)
_IMPORT_LINE = re.compile(r"^(?:from[ \t]+[\w.]+[ \t]+import[ \t]+(?:\([^)]*\)|.*)|import[ \t]+.*)", re.M)


def _assigned(target, value):
    if isinstance(target, ast.Name):
        return {target.id: ("expr", value)}
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
            and len(target.elts) == len(value.elts):
        found = {}
        for part, part_value in zip(target.elts, value.elts):
            found.update(_assigned(part, part_value))
        return found
    if isinstance(target, (ast.Tuple, ast.List)):
        return {name.id: ("unreadable",) for name in ast.walk(target) if isinstance(name, ast.Name)}
    return {}


def _unpack(target, item):
    if isinstance(target, ast.Name):
        return {target.id: item}
    if isinstance(target, ast.Tuple):
        item = tuple(item)
        if len(item) != len(target.elts):
            raise _Unreadable("unpacking")
        found = {}
        for part, part_item in zip(target.elts, item):
            found.update(_unpack(part, part_item))
        return found
    raise _Unreadable("a comprehension target")


def _try(thunk):
    try:
        return thunk()
    except _Unreadable:
        return _Opaque()


def _is_definition(value, module, name):
    return isinstance(value, _Definition) and value.module == module and getattr(value.node, "name", None) == name


def _concrete_info(info):
    for field in dataclasses.fields(info):
        _concrete(getattr(info, field.name))
    if not isinstance(info.name, str) or not all(isinstance(option, Option) for option in info.options):
        raise _Unreadable(f"declarations of {info.name}")
    return info
