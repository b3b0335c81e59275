"""advisor/web/ is a one-way graph: serving and the supervisor above the app factories, the
factories above the door's middlewares and the routes; no import, at the top of a module
or inside a function, goes back up. The door is one middleware a concern, each written as
starlette's own are. Read from the source (ast), so nothing is imported."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "advisor" / "web"

# higher imports lower, never the other way
RANK = {
    "server": 6,  # advisor serve: one process, or the supervisor
    "workers": 5,  # the supervisor and its children
    "serving": 4,  # uvicorn, the app of a serving process
    "apps": 3,  # the app factories
    "guard": 2,  # the door: the middlewares in order
    "api": 1, "admin": 1, "ui": 1, "feedback": 1, "reload": 1, "middleware": 1, "requestlog": 1,  # routes, middlewares, the live advisor
    "limits": 0, "render": 0, "chatpage": 0, "profiles": 0, "middleware.replies": 0, "__init__": 0, "middleware.__init__": 0,
}
ROUTES = 1  # a module not named above is a route or a helper of one: it may import only from its own layer down


def _modules() -> dict[str, Path]:
    return {str(p.relative_to(WEB).with_suffix("")).replace("/", "."): p for p in sorted(WEB.rglob("*.py"))}


def _web_imports(path: Path) -> set[str]:
    """The advisor.web modules `path` imports anywhere in it (functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name.startswith("advisor.web."):
                found.add(name.removeprefix("advisor.web."))
    modules = _modules()
    return {n for n in found if n in modules}


def _rank(module: str) -> int:
    return RANK.get(module, RANK.get(module.split(".")[0], ROUTES))


def graph() -> dict[str, set[str]]:
    return {name: _web_imports(path) for name, path in _modules().items()}


def test_the_layers_are_the_modules_there_are() -> None:
    assert {m for m in RANK if "." not in m} - {"middleware"} <= set(_modules())


def test_no_web_module_imports_upwards() -> None:
    upward = [(m, i) for m, imports in graph().items() for i in imports if _rank(i) > _rank(m)]
    assert upward == []


def test_the_web_import_graph_has_no_cycle() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt] if nxt in path else [*path, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_the_door_is_one_starlette_style_middleware_a_concern() -> None:
    import advisor.web.guard as guard
    from advisor.web import middleware

    pkg = Path(middleware.__file__).parent
    seen = []
    for path in sorted(pkg.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef) and n.name.endswith("Middleware")]
        assert len(classes) <= 1, (path.name, classes)  # one concern a module
        seen += [(path.stem, c) for c in classes]
    assert len(seen) == 8, seen
    for stem, name in seen:
        cls = getattr(__import__(f"advisor.web.middleware.{stem}", fromlist=[name]), name)
        params = list(inspect.signature(cls.__init__).parameters)
        assert params[:2] == ["self", "app"], (name, params)  # starlette's shape: the app it wraps first
        assert inspect.iscoroutinefunction(cls.__call__) and list(inspect.signature(cls.__call__).parameters) == ["self", "scope", "receive", "send"]
        assert len(inspect.getsource(cls.__call__).splitlines()) <= 30, name  # one job, on one screen
    assert not hasattr(guard, "Guard")  # the six-job __call__ is gone
