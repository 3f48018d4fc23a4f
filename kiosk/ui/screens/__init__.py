"""The kiosk's screens, one `.py` + `.kv` pair each; the App loads the `.kv` files before use."""

from __future__ import annotations

from kiosk.ui.screens.admin import AdminScreen
from kiosk.ui.screens.base import KioskScreen, find_named
from kiosk.ui.screens.checklist import ChecklistScreen
from kiosk.ui.screens.choice import ChoiceScreen
from kiosk.ui.screens.closed import ClosedScreen
from kiosk.ui.screens.comment import CommentScreen
from kiosk.ui.screens.contact import ContactScreen
from kiosk.ui.screens.fault import FaultScreen
from kiosk.ui.screens.offer import OfferScreen
from kiosk.ui.screens.pin import PinScreen
from kiosk.ui.screens.rating import RatingScreen
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.screens.still_there import StillThereScreen
from kiosk.ui.screens.thanks import ThanksScreen
from kiosk.ui.screens.welcome import WelcomeScreen

__all__ = ["SCREEN_CLASSES", "KioskScreen", "find_named"]

SCREEN_CLASSES: dict[str, type[KioskScreen]] = {
    "welcome": WelcomeScreen,
    "staff": StaffScreen,
    "rating": RatingScreen,
    "offer": OfferScreen,
    "checklist": ChecklistScreen,
    "choice": ChoiceScreen,
    "comment": CommentScreen,
    "contact": ContactScreen,
    "thanks": ThanksScreen,
    "still_there": StillThereScreen,
    "fault": FaultScreen,
    "pin": PinScreen,
    "admin": AdminScreen,
    "closed": ClosedScreen,
}
