"""Accounts: users, their profiles and devices, access tokens, and registration's
user-interactive auth sessions.

Owns ``users`` (each :class:`~mockserver.core.model.User` holds its profile and
devices), ``sessions`` (access token -> session) and ``auth_sessions``. It has
no stream of its own: ending a session touches the user, so its long-polls
wake and answer 401. A profile change is announced in rooms by the store
(:meth:`Store.set_profile`), which owns both areas.
"""

from __future__ import annotations

from mockserver.core.errors import (
    M_INVALID_PARAM,
    M_INVALID_USERNAME,
    M_UNKNOWN,
    M_USER_DEACTIVATED,
    M_USER_IN_USE,
    MatrixError,
    forbidden,
    not_found,
)
from mockserver.core.ids import USER_LOCALPART, is_user_id, user_id as make_user_id
from mockserver.core.model import Device, JsonDict, Session, User
from mockserver.core.store.base import UNSET, Whole


class Accounts:
    """Users, devices, access tokens and auth sessions."""

    def __init__(self, whole: Whole) -> None:
        self._whole = whole
        self.users: dict[str, User] = {}
        self.sessions: dict[str, Session] = {}
        self.auth_sessions: set[str] = set()

    def user(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise not_found(f"Unknown user {user_id}")
        return user

    def check_new_localpart(self, localpart: str) -> str:
        """Validate a username for registration and return the user id it gives."""
        if not USER_LOCALPART.fullmatch(localpart):
            raise MatrixError(
                M_INVALID_USERNAME,
                "User ID can only contain characters a-z, 0-9, or '._=-/+'",
            )
        user_id = make_user_id(localpart, self._whole.server_name)
        if len(user_id) > 255:
            raise MatrixError(M_INVALID_USERNAME, "User ID may not be longer than 255 characters")
        if user_id in self.users:
            raise MatrixError(M_USER_IN_USE, "User ID already taken.")
        return user_id

    def create_user(
        self,
        user_id: str,
        password: str | None,
        *,
        displayname: str | None = UNSET,
        avatar_url: str | None = None,
        deactivated: bool = False,
    ) -> User:
        if not is_user_id(user_id):
            raise MatrixError(M_INVALID_USERNAME, f"Invalid user id {user_id!r}")
        if user_id in self.users:
            raise MatrixError(M_USER_IN_USE, "User ID already taken.")
        localpart = user_id[1:].split(":", 1)[0]
        user = User(
            user_id=user_id,
            password=password,
            displayname=localpart if displayname is UNSET else displayname,
            avatar_url=avatar_url,
            deactivated=deactivated,
        )
        self.users[user_id] = user
        return user

    def register(
        self,
        localpart: str | None,
        password: str | None,
        *,
        device_id: str | None = None,
        initial_device_display_name: str | None = None,
        inhibit_login: bool = False,
        auth_session: str | None = None,
    ) -> tuple[str, Session | None]:
        """Create an account; ``auth_session`` (if given) must be one this server started."""
        if auth_session is not None and auth_session not in self.auth_sessions:
            raise MatrixError(M_UNKNOWN, "Unknown auth session")
        if localpart is None:
            localpart = self._free_localpart()
        user_id = self.check_new_localpart(localpart)
        self.create_user(user_id, password)
        if auth_session is not None:
            self.auth_sessions.discard(auth_session)
        session = None
        if not inhibit_login:
            session = self.new_session(user_id, device_id, initial_device_display_name)
        return user_id, session

    def start_auth_session(self) -> str:
        """A user-interactive auth session id for ``/register``."""
        session = self._whole.ids.session_id()
        self.auth_sessions.add(session)
        return session

    def _free_localpart(self) -> str:
        number = len(self.users) + 1
        server_name = self._whole.server_name
        while make_user_id(str(number), server_name) in self.users:
            number += 1
        return str(number)

    def login(
        self,
        user_id: str,
        password: str,
        *,
        device_id: str | None = None,
        initial_device_display_name: str | None = None,
    ) -> Session:
        user = self.users.get(user_id)
        if user is not None and user.deactivated:
            raise MatrixError(M_USER_DEACTIVATED, "This account has been deactivated")
        if not self.password_matches(user_id, password):
            raise forbidden("Invalid username or password")
        return self.new_session(user_id, device_id, initial_device_display_name)

    def password_matches(self, user_id: str, password: str) -> bool:
        user = self.users.get(user_id)
        return user is not None and user.password is not None and user.password == password

    def change_password(
        self, user_id: str, new_password: str, *, logout_devices: bool, keep_device: str | None
    ) -> None:
        """Set a new password; ``logout_devices`` removes every other device and its tokens."""
        user = self.user(user_id)
        user.password = new_password
        if logout_devices:
            for device_id in [d for d in user.devices if d != keep_device]:
                self.delete_device(user_id, device_id)

    def deactivate(self, user_id: str) -> None:
        """Devices, tokens and password go; the id stays taken (see Store.deactivate_account)."""
        user = self.user(user_id)
        for device_id in list(user.devices):
            self.delete_device(user_id, device_id)
        user.password = None
        user.deactivated = True

    def new_session(
        self,
        user_id: str,
        device_id: str | None = None,
        display_name: str | None = None,
        *,
        access_token: str | None = None,
    ) -> Session:
        """Issue an access token for a device of ``user_id`` (creating the device)."""
        user = self.user(user_id)
        if access_token is not None and access_token in self.sessions:
            raise MatrixError(M_INVALID_PARAM, "Access token already in use")
        whole = self._whole
        device_id = device_id or whole.ids.device_id()
        device = user.devices.get(device_id)
        if device is None:
            device = user.devices[device_id] = Device(device_id, display_name)
        elif display_name is not None:
            device.display_name = display_name
        device.last_seen_ts = whole.now()
        session = Session(user_id, device_id, access_token or whole.ids.access_token())
        self.sessions[session.access_token] = session
        return session

    def logout(self, access_token: str) -> None:
        session = self.sessions.pop(access_token, None)
        if session is not None:
            self._ended(session.user_id)

    def logout_all(self, user_id: str) -> None:
        for token in [t for t, s in self.sessions.items() if s.user_id == user_id]:
            del self.sessions[token]
        self._ended(user_id)

    def _ended(self, user_id: str) -> None:
        """Sessions of ``user_id`` ended: wake its long-polls so they answer 401 at once."""
        self._whole.touch(users=(user_id,))

    def rename_device(self, user_id: str, device_id: str, display_name: str | None) -> None:
        device = self.user(user_id).devices.get(device_id)
        if device is None:
            raise not_found("Unknown device")
        if display_name is not None:
            device.display_name = display_name

    def delete_device(self, user_id: str, device_id: str) -> None:
        user = self.user(user_id)
        if device_id not in user.devices:
            raise not_found("Unknown device")
        del user.devices[device_id]
        for token in [
            t for t, s in self.sessions.items() if s.user_id == user_id and s.device_id == device_id
        ]:
            del self.sessions[token]
        self._ended(user_id)

    def set_profile(
        self, user_id: str, *, displayname: str | None = UNSET, avatar_url: str | None = UNSET
    ) -> User:
        """Change the given profile fields (announcing them in rooms is the store's job)."""
        user = self.user(user_id)
        if displayname is not UNSET:
            user.displayname = displayname
        if avatar_url is not UNSET:
            user.avatar_url = avatar_url
        return user

    def profile_content(self, user_id: str) -> JsonDict:
        """The profile fields a member event of ``user_id`` carries."""
        user = self.users.get(user_id)
        content: JsonDict = {}
        if user is not None:
            if user.displayname is not None:
                content["displayname"] = user.displayname
            if user.avatar_url is not None:
                content["avatar_url"] = user.avatar_url
        return content
