"""Per-layer file trees and waste of an image, from the engine's export (`docker save`) tar.

The export is read as a stream (`tarfile` mode "r|"): one pass, nothing but metadata kept, so a
multi-GB image never sits in memory. Each layer becomes a tree of its own entries; overlay
whiteouts (`.wh.NAME`) and opaque-directory markers (`.wh..wh..opq`) are understood.

Efficiency and wasted bytes follow dive 0.13 (`dive/filetree/efficiency.go`, `dive/image/image.go`)
exactly, so the figures match `dive --ci` on the same image:
- every leaf of every layer adds its size to its path's cumulative size; a whiteout adds the size
  of what it deletes when that was a directory (0 for a deleted file: the file's own earlier
  entry already counts);
- score = Σ smallest size seen per path / Σ cumulative size per path (1.0 when nothing);
- wasted bytes = Σ cumulative size of paths seen in two or more layers;
- user-wasted share = wasted / size of every layer but the first.
dive ignores opaque markers; the tree here marks what they hide as removed and reports those bytes
separately (`opaque_hidden`), outside the dive-equal figures.

ELF files outside Go toolchain/cache directories are read (one file at a time) for the Go advice:
section sizes (`.debug_*`, `.zdebug_*`, `.symtab`, `.strtab`), PT_INTERP, Go build info.
"""

from __future__ import annotations

import io
import json
import posixpath
import struct
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
DOUBLE_WHITEOUT = ".wh..wh."
ELF_READ_LIMIT = 1 << 30  # never buffer a single file over 1 GiB for the ELF check

ADDED, CHANGED, REMOVED = "added", "changed", "removed"


# -- ELF ------------------------------------------------------------------------------------------


@dataclass
class ElfInfo:
    """What the Go advice needs from one executable."""

    size: int
    go: bool  # a Go binary (.go.buildinfo / .gopclntab)
    dynamic: bool  # has PT_INTERP: needs a libc loader (CGO or a dynamic link)
    debug_bytes: int  # .debug_* / .zdebug_* sections (removed by -w)
    symtab_bytes: int  # .symtab + .strtab (removed by -s)

    @property
    def strippable(self) -> int:
        return self.debug_bytes + self.symtab_bytes


def parse_elf(data: bytes) -> ElfInfo | None:
    """Section sizes and PT_INTERP of a 32/64-bit, little/big-endian ELF; None when not ELF."""
    if len(data) < 52 or data[:4] != b"\x7fELF":
        return None
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    try:
        if is64:
            phoff, shoff = struct.unpack_from(end + "QQ", data, 0x20)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(end + "HHHHH", data, 0x36)
        else:
            phoff, shoff = struct.unpack_from(end + "II", data, 0x1C)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(end + "HHHHH", data, 0x2A)
        dynamic = False
        for i in range(phnum):
            off = phoff + i * phentsize
            if off + 4 <= len(data) and struct.unpack_from(end + "I", data, off)[0] == 3:  # PT_INTERP
                dynamic = True
        sections: list[tuple[int, int, int, int]] = []  # name offset, type, file offset, size
        for i in range(shnum):
            off = shoff + i * shentsize
            if off + shentsize > len(data):
                break
            if is64:
                name, stype, _flags, _addr, soff, ssize = struct.unpack_from(end + "IIQQQQ", data, off)
            else:
                name, stype, _flags, _addr, soff, ssize = struct.unpack_from(end + "IIIIII", data, off)
            sections.append((name, stype, soff, ssize))
    except struct.error:
        return ElfInfo(len(data), False, False, 0, 0)
    names: list[str] = []
    if 0 <= shstrndx < len(sections):
        _n, _t, stroff, strsize = sections[shstrndx]
        table = data[stroff:stroff + strsize]
        for name_off, *_rest in sections:
            stop = table.find(b"\0", name_off)
            names.append(table[name_off:stop if stop >= 0 else None].decode("latin-1"))
    debug = symtab = 0
    go = False
    for name, (_n, stype, _o, size) in zip(names, sections, strict=False):
        on_disk = 0 if stype == 8 else size  # SHT_NOBITS takes no file bytes
        if name.startswith((".debug_", ".zdebug_")):
            debug += on_disk
        elif name in (".symtab", ".strtab"):
            symtab += on_disk
        elif name in (".go.buildinfo", ".gopclntab", ".note.go.buildid"):
            go = True
    if not go and b"\xff Go buildinf:" in data:
        go = True
    return ElfInfo(len(data), go, dynamic, debug, symtab)


# -- trees ----------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One tar entry of a layer."""

    size: int
    is_dir: bool
    kind: str  # file, dir, symlink, hardlink, other
    link: str = ""


class Node:
    """A path in one layer's tree. `entry` is None for a directory only implied by a deeper path."""

    __slots__ = ("name", "children", "entry", "parent")

    def __init__(self, name: str, parent: Node | None, entry: Entry | None = None) -> None:
        self.name = name
        self.parent = parent
        self.entry = entry
        self.children: dict[str, Node] = {}

    @property
    def whiteout(self) -> bool:
        return self.name.startswith(WHITEOUT)

    def path(self) -> str:
        parts: list[str] = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            name = node.name
            if node is self and name.startswith(WHITEOUT):
                name = name[len(WHITEOUT):]
            parts.append(name)
            node = node.parent
        return "/" + "/".join(reversed(parts))

    def child_first(self) -> Iterator[Node]:
        """Depth first, children (sorted by name) before their parent; the root is never yielded."""
        stack: list[tuple[Node, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded or not node.children:
                if node.parent is not None:
                    yield node
                continue
            stack.append((node, True))
            for name in sorted(node.children, reverse=True):
                stack.append((node.children[name], False))

    def total(self) -> int:
        """Sum of entry sizes in this subtree (itself included)."""
        return sum((n.entry.size if n.entry else 0) for n in _all(self))


def _all(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children.values())


def _split(path: str) -> list[str]:
    return [p for p in posixpath.normpath("/" + path).strip("/").split("/") if p]


def add_path(root: Node, path: str, entry: Entry | None) -> Node | None:
    """dive's AddPath: create missing parents (without entries), skip `.wh..wh.*` names, replace the
    entry of an existing node and keep its children."""
    node = root
    names = _split(path)
    for i, name in enumerate(names):
        child = node.children.get(name)
        if child is None:
            if name.startswith(DOUBLE_WHITEOUT):
                return None
            child = Node(name, node)
            node.children[name] = child
        node = child
        if i == len(names) - 1:
            node.entry = entry
    return node


def get_node(root: Node, path: str) -> Node | None:
    node = root
    for name in _split(path):
        child = node.children.get(name)
        if child is None:
            return None
        node = child
    return node


def remove_path(root: Node, path: str) -> None:
    node = get_node(root, path)
    if node is not None and node.parent is not None:
        node.parent.children.pop(node.name, None)


def copy_tree(node: Node, parent: Node | None = None) -> Node:
    new = Node(node.name, parent, node.entry)
    for name, child in node.children.items():
        new.children[name] = copy_tree(child, new)
    return new


def stack_onto(lower: Node, upper: Node) -> None:
    """dive's Stack: whiteouts delete, everything else is (re)added with the upper entry."""
    for node in upper.child_first():
        if node.whiteout:
            remove_path(lower, node.path())
        else:
            add_path(lower, node.path(), node.entry)


# -- layers and the analysis ----------------------------------------------------------------------


@dataclass
class LayerTree:
    """One layer: its own tree, its byte size as dive counts it, its history line and digest."""

    name: str
    root: Node
    size: int = 0  # Σ entry sizes (dive's FileSize)
    opaque_dirs: list[str] = field(default_factory=list)
    command: str = ""
    elf: dict[str, ElfInfo] = field(default_factory=dict)
    os_release: str = ""


@dataclass
class TreeRow:
    """A line of a layer's tree view."""

    path: str
    name: str
    depth: int
    is_dir: bool
    size: int  # bytes this layer adds for this path (a removal: the bytes it hides)
    diff: str  # added / changed / removed
    wasted: bool  # overwritten or deleted by a later layer (or itself a removal of earlier bytes)
    link: str = ""


@dataclass
class WasteAnalysis:
    layers: list[LayerTree]
    efficiency: float
    wasted_bytes: int
    size_bytes: int
    user_size_bytes: int
    inefficient: list[tuple[str, int, int]]  # (path, cumulative bytes, count), biggest first
    opaque_hidden: int = 0
    env: list[str] = field(default_factory=list)

    @property
    def wasted_user_percent(self) -> float:
        return self.wasted_bytes / self.user_size_bytes if self.user_size_bytes else 0.0


def efficiency(layers: list[LayerTree]) -> tuple[float, dict[str, list[int]]]:
    """dive's Efficiency: (score, {path: [cumulative, min, count]})."""
    data: dict[str, list[int]] = {}
    stacked = copy_tree(layers[0].root) if layers else Node("", None)
    for idx, layer in enumerate(layers):
        lower = layer.root if idx == 0 else stacked
        for node in layer.root.child_first():
            if node.children:
                continue
            path = node.path()
            if node.whiteout:
                prev = get_node(lower, path)
                if prev is None:
                    break  # dive aborts the rest of this layer's walk on this error
                size = prev.total() if prev.entry is not None and prev.entry.is_dir else 0
            else:
                size = node.entry.size if node.entry else 0
            rec = data.get(path)
            if rec is None:
                data[path] = [size, size, 1]
            else:
                rec[0] += size
                rec[1] = min(rec[1], size)
                rec[2] += 1
        if idx > 0:
            stack_onto(stacked, layer.root)
    minimum = sum(r[1] for r in data.values())
    discovered = sum(r[0] for r in data.values())
    return (minimum / discovered if discovered else 1.0), data


def analyze_layers(layers: list[LayerTree], env: list[str] | None = None) -> WasteAnalysis:
    score, data = efficiency(layers)
    inefficient = sorted(((p, r[0], r[2]) for p, r in data.items() if r[2] >= 2), key=lambda t: -t[1])
    size = sum(layer.size for layer in layers)
    user = sum(layer.size for layer in layers[1:])
    return WasteAnalysis(layers, score, sum(t[1] for t in inefficient), size, user, inefficient,
                         _opaque_hidden(layers), list(env or []))


def _opaque_hidden(layers: list[LayerTree]) -> int:
    """Bytes of lower layers hidden by opaque directories (dive does not count these)."""
    hidden = 0
    stacked = Node("", None)
    for layer in layers:
        for directory in layer.opaque_dirs:
            prev = get_node(stacked, directory)
            if prev is not None:
                hidden += sum(n.entry.size for n in _all(prev) if n is not prev and n.entry)
                prev.children.clear()
        stack_onto(stacked, layer.root)
    return hidden


def layer_rows(analysis: WasteAnalysis, index: int) -> list[TreeRow]:
    """Rows for layer `index`'s own entries, parents first, with their change against the layers
    below and whether a later layer overwrites or deletes them."""
    layers = analysis.layers
    lower = Node("", None)
    for layer in layers[:index]:
        stack_onto(lower, layer.root)
        for directory in layer.opaque_dirs:
            node = get_node(lower, directory)
            if node is not None:
                node.children.clear()
    later: set[str] = set()  # leaves written again by a later layer
    gone: list[str] = []  # whiteouts and opaque directories of later layers (prefixes)
    for layer in layers[index + 1:]:
        for node in _all(layer.root):
            if node.parent is None:
                continue
            if node.whiteout:
                gone.append(node.path().rstrip("/") + "/")
            elif not node.children:
                later.add(node.path())
        gone.extend(d.rstrip("/") + "/" for d in layer.opaque_dirs)

    def overwritten(path: str) -> bool:
        return path in later or any((path + "/").startswith(prefix) for prefix in gone)
    rows: list[TreeRow] = []
    root = layers[index].root

    def walk(node: Node, depth: int) -> bool:
        any_wasted = False
        for name in sorted(node.children):
            child = node.children[name]
            path = child.path()
            entry = child.entry
            if child.whiteout:
                prev = get_node(lower, path)
                size = prev.total() if prev is not None else 0
                rows.append(TreeRow(path, name[len(WHITEOUT):], depth, bool(prev and prev.children), size,
                                    REMOVED, size > 0))
                any_wasted = any_wasted or size > 0
                continue
            existed = get_node(lower, path) is not None
            is_dir = bool(child.children) or bool(entry and entry.is_dir)
            size = child.total()
            row = TreeRow(path, name, depth, is_dir, size, CHANGED if existed else ADDED,
                          (not child.children) and size > 0 and overwritten(path), entry.link if entry else "")
            rows.append(row)
            if child.children and walk(child, depth + 1):
                row.wasted = True  # a directory is wasted when something under it is
            any_wasted = any_wasted or row.wasted
        return any_wasted

    walk(root, 0)
    return rows


# -- reading the export ---------------------------------------------------------------------------


class ChunkReader(io.RawIOBase):
    """A file object over an iterator of byte chunks (docker-py's `get_image` stream); counts bytes
    read for progress."""

    def __init__(self, chunks: Iterable[bytes], on_bytes: Callable[[int], None] | None = None) -> None:
        self._it = iter(chunks)
        self._buf = b""
        self.read_bytes = 0
        self._on_bytes = on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            try:
                self._buf = next(self._it)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        self.read_bytes += n
        if self._on_bytes is not None:
            self._on_bytes(self.read_bytes)
        return n


_GO_DIRS = ("/usr/local/go/", "/go/pkg/", "/root/go/pkg/", "/root/.cache/go-build/", "/go/src/")


def _skip_elf(path: str) -> bool:
    return path.startswith(_GO_DIRS) or "/go/pkg/mod/" in path or "/.cache/go-build/" in path


def read_layer(name: str, fileobj: IO[bytes], *, elf_limit: int = ELF_READ_LIMIT) -> LayerTree:
    """One layer tar (plain or gzip) into a LayerTree."""
    layer = LayerTree(name, Node("", None))
    with tarfile.open(fileobj=fileobj, mode="r|*") as tar:
        for member in tar:
            path = posixpath.normpath("/" + member.name)
            if path == "/":
                continue
            base = posixpath.basename(path)
            if base == OPAQUE:
                layer.opaque_dirs.append(posixpath.dirname(path))
            if member.isdir():
                kind = "dir"
            elif member.issym():
                kind = "symlink"
            elif member.islnk():
                kind = "hardlink"
            elif member.isfile():
                kind = "file"
            else:
                kind = "other"
            size = member.size if member.isfile() else 0
            layer.size += size
            add_path(layer.root, path, Entry(size, member.isdir(), kind, member.linkname))
            if kind != "file" or size < 64:
                continue
            if path in ("/etc/os-release", "/usr/lib/os-release") and size < 8192:
                f = tar.extractfile(member)
                if f is not None:
                    layer.os_release = f.read().decode("utf-8", "replace")
            elif size <= elf_limit and not _skip_elf(path):
                f = tar.extractfile(member)
                if f is None:
                    continue
                head = f.read(4)
                if head == b"\x7fELF":
                    info = parse_elf(head + f.read())
                    if info is not None:
                        layer.elf[path] = info
    return layer


def read_export(chunks: Iterable[bytes], *, on_progress: Callable[[int, int], None] | None = None,
                total: int = 0) -> tuple[list[LayerTree], dict[str, Any]]:
    """Stream a `docker save` tar: (layers in manifest order, image config)."""
    def report(n: int) -> None:
        if on_progress is not None:
            on_progress(n, total)

    reader = ChunkReader(chunks, report)
    buffered = io.BufferedReader(reader, 1 << 20)
    trees: dict[str, LayerTree] = {}
    links: dict[str, str] = {}
    jsons: dict[str, bytes] = {}
    with tarfile.open(fileobj=buffered, mode="r|") as outer:
        for member in outer:
            name = member.name
            if member.issym() or member.islnk():
                links[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname)) \
                    if member.issym() else member.linkname
                continue
            if not member.isfile():
                continue
            f = outer.extractfile(member)
            if f is None:
                continue
            if name.endswith((".json", "repositories")) or name.startswith("sha256:"):
                jsons[name] = f.read()
                continue
            peek = io.BufferedReader(f, 1 << 16)  # type: ignore[arg-type,type-var]
            head = peek.peek(512)[:512]
            if head[:2] == b"\x1f\x8b" or (len(head) >= 262 and head[257:262] == b"ustar") or name.endswith(".tar"):
                trees[name] = read_layer(name, peek)  # type: ignore[arg-type]
            elif member.size < (16 << 20):
                jsons[name] = peek.read()
    manifest = json.loads(jsons.get("manifest.json", b"[]") or b"[]")
    if not manifest:
        raise ValueError("the export has no manifest.json")
    entry = manifest[0]
    config: dict[str, Any] = {}
    if entry.get("Config") in jsons:
        config = json.loads(jsons[entry["Config"]])
    layers: list[LayerTree] = []
    for path in entry.get("Layers") or []:
        tree = trees.get(path) or trees.get(links.get(path, ""))
        if tree is None:
            raise ValueError(f"layer {path} is not in the export")
        layers.append(LayerTree(path, tree.root, tree.size, tree.opaque_dirs, "", tree.elf, tree.os_release))
    history = [h for h in config.get("history") or [] if not h.get("empty_layer")]
    for layer, h in zip(layers, history, strict=False):
        layer.command = str(h.get("created_by") or "")
    return layers, config
