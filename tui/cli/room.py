"""``warroom tmux``: create or join the war room, a tmux session everyone shares.

The session (``warroom`` unless ``--session``) holds two windows: ``dashboard``
(the real dashboard on this database) and ``shell`` (a shell with
``WARROOM_DB``, and ``WARROOM_CONFIG`` when given, in its environment). Its
status line runs ``warroom --db DB status --oneline`` every 5 s, and a bell in
any window (the dashboard rings when an update is late) reaches everyone
attached, whichever window they look at. Every option is set on the session
(never ``-g``): the user's own tmux stays as it was.

Running it again joins: a window that is missing (someone quit the dashboard)
is made again, one that exists is left alone (``new-window -S``), so there is
never a second session or a duplicate window. Creating is one tmux command
list, which tmux runs without interleaving another client's commands; two
people creating the room at once get one session (the loser joins).

``-L NAME`` / ``-S PATH`` pass to tmux (a named or a group-shared socket);
``--print`` prints the tmux command that would run and runs nothing.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

from tui.cli.context import EXIT_OK, Context, UsageError, err, out
from tui.cli.parser import add_command

if TYPE_CHECKING:
    from tui.cli.parser import Subparsers

INSTALL = "sudo apt-get install -y tmux (macOS: brew install tmux)"
SESSION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ONELINE_OPTION = "@warroom-oneline"
STATUS_INTERVAL = 5


class Room:
    """What the room runs on: resolved once, shown in ``--print``, used for every window.

    (A plain class: a dataclass here would import :mod:`dataclasses` at every start of
    the CLI, ``status --oneline`` included, for ~10 ms.)"""

    def __init__(
        self,
        session: str,
        db: str,
        config: str | None,
        group: str | None,
        exe: list[str],
        socket: list[str] | None = None,
    ) -> None:
        self.session = session
        self.db = db
        self.config = config
        self.group = group
        self.exe = exe
        self.socket: list[str] = socket or []  # [] | ["-L", NAME] | ["-S", PATH]

    def warroom(self, *args: str) -> list[str]:
        """This very warroom, on this database (and config), running ARGS."""
        cmd = [*self.exe, "--db", self.db]
        if self.config:
            cmd += ["--config", self.config]
        if self.group:
            cmd += ["--group", self.group]
        return [*cmd, *args]

    def env(self) -> list[str]:
        pairs = [f"WARROOM_DB={self.db}"]
        if self.config:
            pairs.append(f"WARROOM_CONFIG={self.config}")
        if self.group:
            pairs.append(f"WARROOM_GROUP={self.group}")
        return pairs

    def folder(self) -> str | None:
        """This warroom's folder when it is not on PATH (a venv nobody activated)."""
        folder = os.path.dirname(self.exe[0]) if self.exe else ""
        if not folder or folder in os.environ.get("PATH", "").split(os.pathsep):
            return None
        return folder

    def shell_env(self) -> list[str]:
        """The shell window's command when this warroom is not on PATH: tmux gives a new
        window the PATH of the client that asked for it (ours runs tmux with the folder
        first: :class:`Tmux`), and a plain interactive shell keeps it where a login
        shell's profile would set PATH again -- so ``warroom`` works in the room's shell."""
        if self.folder() is None:
            return []
        return ["--", os.environ.get("SHELL") or "/bin/sh"]

    def oneline(self) -> str:
        """The status line's shell command. A ``#`` in its output is doubled: tmux
        would read ``#[...]`` in a title as a style, ``#{...}`` as a format."""
        import shlex

        return shlex.join(self.warroom("status", "--oneline")) + " | sed 's/#/##/g'"


def self_command() -> list[str]:
    """How to run this same warroom from anywhere (absolute: tmux starts it elsewhere)."""
    script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if script and os.path.isfile(script) and not script.endswith(".py"):
        return [script]
    return [sys.executable, "-m", "tui"]


def resolve(ctx: Context) -> Room:
    args = ctx.args
    session = args.session
    if not SESSION_NAME.match(session):
        raise UsageError(
            f"--session {session!r}: use letters, digits, '-' and '_' (tmux gives ':' and '.' "
            "a meaning of their own)"
        )
    db = os.path.abspath(ctx.db_path())
    config = args.config or os.environ.get("WARROOM_CONFIG") or None
    group = args.group or os.environ.get("WARROOM_GROUP") or None
    socket: list[str] = []
    if args.socket_name:
        socket = ["-L", args.socket_name]
    elif args.socket_path:
        socket = ["-S", os.path.abspath(os.path.expanduser(args.socket_path))]
    return Room(
        session=session,
        db=db,
        config=os.path.abspath(os.path.expanduser(config)) if config else None,
        group=group,
        exe=self_command(),
        socket=socket,
    )


# ------------------------------------------------------------------- the tmux commands


def _options(room: Room) -> list[list[str]]:
    """The session's own options (never -g) and the dashboard window's bell."""
    t = f"={room.session}:"  # set-option takes a pane: "=NAME" alone is not found
    w = f"={room.session}:=dashboard"
    return [
        ["set-option", "-t", t, ONELINE_OPTION, room.oneline()],
        # the command lives in a user option: a path holding ')' or '#' would end or
        # change a #(...) written inline; tmux does not expand the option's value again
        ["set-option", "-t", t, "status-right", f"#(#{{{ONELINE_OPTION}}}) %H:%M"],
        ["set-option", "-t", t, "status-right-length", "100"],
        ["set-option", "-t", t, "status-interval", str(STATUS_INTERVAL)],
        # a bell in any window reaches every client of the session, in whatever
        # window it looks at: the sound, and a message on the status line
        ["set-option", "-t", t, "bell-action", "any"],
        ["set-option", "-t", t, "visual-bell", "both"],
        ["set-option", "-w", "-t", w, "monitor-bell", "on"],
        ["set-option", "-w", "-t", w, "allow-rename", "off"],
    ]


def create_commands(room: Room) -> list[list[str]]:
    """The room from nothing: one command list (a failure stops the rest)."""
    env = [a for pair in room.env() for a in ("-e", pair)]
    dashboard = room.warroom("dashboard")
    return [
        ["new-session", "-d", "-s", room.session, "-n", "dashboard", *env, "--", *dashboard],
        ["new-window", "-d", "-S", "-t", f"={room.session}:", "-n", "shell", *room.shell_env()],
        *_options(room),
    ]


def join_commands(room: Room, has_db: bool) -> list[list[str]]:
    """The room exists: make what is missing, leave what is there."""
    t = f"={room.session}"
    cmds: list[list[str]] = []
    if not has_db:  # a session someone made by hand (`tmux new -s warroom`)
        cmds += [["set-environment", "-t", t, *pair.split("=", 1)] for pair in room.env()]
    cmds += [
        [
            "new-window",
            "-d",
            "-S",
            "-t",
            f"{t}:",
            "-n",
            "dashboard",
            "--",
            *room.warroom("dashboard"),
        ],
        ["new-window", "-d", "-S", "-t", f"{t}:", "-n", "shell", *room.shell_env()],
        *_options(room),
    ]
    return cmds


def command_list(cmds: list[list[str]]) -> list[str]:
    """Commands as one tmux invocation's arguments, ``;`` between them."""
    joined: list[str] = []
    for cmd in cmds:
        if joined:
            joined.append(";")
        joined += cmd
    return joined


def printable(tmux: list[str], cmds: list[list[str]]) -> str:
    """One shell command (``\\;`` between tmux commands, a line each), quoted."""
    import shlex

    lines = [shlex.join(cmd) for cmd in cmds]
    return shlex.join(tmux) + " " + " \\; \\\n    ".join(lines)


# ------------------------------------------------------------------- running tmux


class Tmux:
    def __init__(self, exe: str, socket: list[str], folder: str | None = None):
        self.base = [exe, *socket]
        self.env: dict[str, str] | None = None
        if folder:  # new windows get this client's PATH: warroom's folder first
            path = os.environ.get("PATH", "")
            self.env = {**os.environ, "PATH": f"{folder}{os.pathsep}{path}" if path else folder}

    def run(self, args: list[str]) -> tuple[int, str, str]:
        import subprocess

        try:
            p = subprocess.run(
                [*self.base, *args],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
                env=self.env,
            )
        except subprocess.TimeoutExpired:
            raise UsageError("tmux did not answer within 30 s") from None
        return p.returncode, p.stdout, p.stderr.strip()

    def session_env(self, session: str) -> dict[str, str] | None:
        """The session's own WARROOM_* environment; None when there is no such
        session (or no server). Reads only: starts no server."""
        code, stdout, _ = self.run(["show-environment", "-t", f"={session}"])
        if code != 0:
            return None
        pairs = (line.split("=", 1) for line in stdout.splitlines() if "=" in line)
        return {k: v for k, v in pairs if k.startswith("WARROOM_")}

    def server_socket(self, session: str) -> str:
        code, stdout, _ = self.run(
            ["display-message", "-p", "-t", f"={session}:", "#{socket_path}"]
        )
        return stdout.strip() if code == 0 else ""


def _tmux_exe() -> str | None:
    import shutil

    return shutil.which("tmux")


def _fail(what: str, stderr: str) -> UsageError:
    reason = stderr.splitlines()[0] if stderr else "failed"
    return UsageError(f"tmux {what}: {reason}")


def cmd_tmux(ctx: Context) -> int:
    room = resolve(ctx)
    exe = _tmux_exe()
    if exe is None and not ctx.args.print:
        raise UsageError(f"tmux is not installed: {INSTALL}")
    tmux = Tmux(exe or "tmux", room.socket, room.folder())
    env = tmux.session_env(room.session) if exe else None
    if env is not None:
        adopt(ctx, room, env)
    exists = env is not None
    cmds = join_commands(room, "WARROOM_DB" in (env or {})) if exists else create_commands(room)
    shown = ["tmux", *room.socket]
    if ctx.args.print:
        out(printable(shown, cmds))
        if ctx.args.attach:
            out(printable(shown, [attach_command(room)]))
        return EXIT_OK
    code, _, stderr = tmux.run(command_list(cmds))
    if code != 0 and not exists and "duplicate session" in stderr:
        # someone made the room between our look and our command: join theirs
        env = tmux.session_env(room.session) or {}
        adopt(ctx, room, env)
        exists = True
        code, _, stderr = tmux.run(command_list(join_commands(room, "WARROOM_DB" in env)))
    if code == 0 and tmux.run(["has-session", "-t", f"={room.session}"])[0] != 0:
        code = 1  # tmux says "error creating <socket>" and exits 0: look, don't trust
    if code != 0:
        raise _fail("could not set up the room", stderr or "the session is not there")
    how = "joined" if exists else "created"
    again = printable(shown, [["attach", "-t", f"={room.session}"]])
    if not ctx.args.attach:
        out(f"war room {how}: tmux session {room.session} on {room.db}")
        out(f"  windows: dashboard, shell   attach: {again}")
        return EXIT_OK
    return attach(ctx, tmux, room, shown)


def adopt(ctx: Context, room: Room, env: dict[str, str]) -> None:
    """The room is the session: join it on its own database and config, and say so
    when the user asked for another one."""
    db = env.get("WARROOM_DB")
    if not db:
        return
    if db != room.db and (ctx.args.db or os.environ.get("WARROOM_DB")):
        err(
            f"session {room.session} runs on {db}, not {room.db}: joining it as it is "
            "(--session NAME opens another room)"
        )
    config = env.get("WARROOM_CONFIG") or None
    if room.config and config != room.config and ctx.args.config:
        err(
            f"session {room.session} runs with {config or 'no config'}, not {room.config}: "
            "joining it as it is"
        )
    room.db = db
    room.config = config
    room.group = env.get("WARROOM_GROUP") or None


def attach_command(room: Room) -> list[str]:
    return ["attach-session", "-t", f"={room.session}"]


def attach(ctx: Context, tmux: Tmux, room: Room, shown: list[str]) -> int:
    """Attach this terminal, or switch this tmux client when already inside that server."""
    import subprocess

    inside = os.environ.get("TMUX", "")
    if inside:
        ours = tmux.server_socket(room.session)
        if ours and os.path.realpath(inside.split(",")[0]) == os.path.realpath(ours):
            code, _, stderr = tmux.run(["switch-client", "-t", f"={room.session}"])
            if code != 0:
                raise _fail("switch-client", stderr)
            return EXIT_OK
        raise UsageError(
            "this terminal is inside another tmux server: detach first, or nest with: "
            f"TMUX= {printable(shown, [attach_command(room)])}"
        )
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        again = printable(shown, [attach_command(room)])
        raise UsageError(f"--attach needs a terminal; the room is ready: {again}")
    return subprocess.call([*tmux.base, *attach_command(room)])


def register(sub: Subparsers) -> None:
    c = add_command(
        sub, "tmux", cmd_tmux, "open or join the war room: a shared tmux session", False
    )
    c.add_argument("--session", default="warroom", metavar="NAME", help="default: warroom")
    c.add_argument("--attach", action="store_true", help="attach (switch-client in tmux)")
    c.add_argument("--print", action="store_true", help="print the tmux commands, run nothing")
    g = c.add_mutually_exclusive_group()
    g.add_argument("-L", dest="socket_name", metavar="NAME", help="tmux -L: a named server")
    g.add_argument(
        "-S", dest="socket_path", metavar="PATH", help="tmux -S: a socket, e.g. group-shared"
    )


__all__ = ["Room", "cmd_tmux", "create_commands", "join_commands", "register"]
