"""Simplified sliding sync (MSC4186): the third sync dialect, from the same store.

- :mod:`.request`: the request body, checked whole, as frozen values;
- :mod:`.connections`: per (user, device, ``conn_id``) what was sent at each ``pos``;
- :mod:`.room_list`: a user's rooms in recency order, list filters and windows;
- :mod:`.rooms`: one room's entry, only what the connection lacks;
- :mod:`.extensions`: to-device, e2ee, account data, receipts, typing;
- :mod:`.compute`: one whole answer, and the connection state it leaves.
"""
