"""The secret keys of the test session: every server and command a test starts gets one, so none
writes ./uprof.key into the checkout, and servers of one test share it.

Fixed Fernet keys made for the tests only; they protect nothing.
"""

from __future__ import annotations

from uprof.crypto.sealing import SecretBox

TEST_SECRET_KEY = "k3qPKwQyGuekcGdsPjTgcK55NJlN7kaV4Bw3bF_w_L4="
# The key of a second deployment (an import target, a server given the wrong key).
OTHER_SECRET_KEY = "6_2me4jGw2gBcJ6NBeUFkStpLVYDjPfIme2rxAbvH00="
SECRET_KEY_ENVIRONMENT = {"UPROF_SECRET_KEY": TEST_SECRET_KEY}


def session_box() -> SecretBox:
    """The box a server of the test session seals secrets with."""
    return SecretBox([TEST_SECRET_KEY])
