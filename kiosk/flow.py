"""The kiosk's whole customer flow as one plain object the widgets draw and tests drive.

attract -> gallery -> one screen per attribute group -> summary -> customer details -> receipt,
plus out-of-service and the admin PIN pad. No Qt here: widgets call the methods below on taps
and redraw on the ``changed`` callback; the clock is injected so idle resets are testable.
"""

from __future__ import annotations

import json
import logging
import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.customer import Customer, check_name, check_phone
from kiosk.events import EventSink
from kiosk.pinyin import PinyinComposer
from kiosk.promise import DateStory, firm_date
from kiosk.status import KioskStatus, memory_status
from kiosk.steps import BUILDS_HEIGHT, Page, paginate
from kiosk.texts import N_
from sync.catalog.paint import PaintError, conditions
from sync.errors import ConfigurationError, FloorLinkError
from sync.money import money
from sync.numbers import is_order_number
from sync.orders import PlacedOrder as HubOrder
from sync.orders import is_han
from sync.pin import PinGuard

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the catalog and engine load with the first catalog, not at start-up
    from kiosk.estimate import RoughEstimate
    from sync.catalog import Catalog, Group, Product
    from sync.configurator.product import OptionState, PriceBreakdown, ProductConfigurator

Label = dict[str, str]
LANGUAGES = ("en", "zh_CN")
IDLE_WARNING_S = 20.0
"""The last seconds of an idle session ask "Are you still there?" (a third of a short kiosk.idle_timeout_s): a
customer who looked away to read the brochure no longer loses a half-typed order without a word."""
STILL_THERE = N_("Are you still there?")
STARTS_OVER = N_("This screen starts over in {seconds} s and your choices are cleared.")
STILL_HERE = N_("I'm still here")
LOCKED = N_("Too many wrong PINs. Try again in {seconds} s.")
PICKED_KEY = "picked"
"""Placeholder in a choice's text for the translated "picked for you" (filled in by Notice.text)."""


class Screen(StrEnum):
    OUT_OF_SERVICE = "out_of_service"
    ATTRACT = "attract"
    GALLERY = "gallery"
    OPTIONS = "options"
    SUMMARY = "summary"
    DETAILS = "details"
    RECEIPT = "receipt"
    ADMIN = "admin"


@dataclass(frozen=True)
class Notice:
    """A message for the customer: an English template (translated by the widgets) whose
    ``{placeholders}`` take bilingual labels, so it can be shown in either language."""

    template: str
    args: dict[str, Label] = field(default_factory=dict)
    tone: str = "info"  # info | warn | error

    def text(self, language: str, translate: Callable[[str], str] = lambda s: s) -> str:
        picked = translate(N_("picked for you"))
        values = {k: (v.get(language) or v.get("en", "")).replace("{" + PICKED_KEY + "}", picked)
                  for k, v in self.args.items()}
        return translate(self.template).format(**values)


@dataclass(frozen=True)
class Picked:
    """An option the kiosk filled in because the customer moved on without choosing (announced when priced)."""

    attribute: str
    option: str
    attribute_label: Label
    option_label: Label
    price: Decimal
    #: no cheaper option was possible with the customer's choices: their choices need it (not a pick of ours)
    needed: bool = False


@dataclass(frozen=True)
class ProductCard:
    code: str
    name: Label
    description: Label | None
    image: Path | None
    base_price: Decimal
    currency: str


BUILD_NAMES = (N_("Most ordered"), N_("Also popular"), N_("Also popular"))
STANDARD = N_("Standard")


@dataclass(frozen=True)
class Build:
    """A starting point on the first options page: one of the product's most-ordered configurations (the
    hub's ``kiosk/popular``, sync.popular) or, without them, the catalog's defaults named "Standard"."""

    name: str
    """English source text, translated by the widget."""
    configuration: dict[str, str]
    total: Decimal
    differs: list[Label]
    """The options that differ from the Standard build (priced first), as the tile lists them."""
    orders: int = 0

    @property
    def standard(self) -> bool:
        """The catalog's defaults (offered when the hub has no popular build that fits)."""
        return self.name == STANDARD


@dataclass(frozen=True)
class AttributeView:
    code: str
    label: Label
    help: Label | None
    options: list[OptionState]
    suggested: str | None
    """The option the kiosk takes when the customer moves on without choosing (shown preselected)."""
    default: str | None = None
    """The catalog's default option: marked "Recommended"."""


@dataclass(frozen=True)
class PlacedOrder:
    """What the customer ordered, as the receipt shows it and the hub receives it."""

    id: str
    number: str
    product: str
    product_name: Label
    configuration: dict[str, str]
    price: PriceBreakdown
    customer: Customer
    created_at: str
    language: str
    estimate: RoughEstimate | None
    revision: int = 0
    """The released catalog revision configured against (0: a draft folder, which the hub refuses)."""
    attribute_labels: dict[str, Label] = field(default_factory=dict)
    """Attribute code -> label, so the receipt can say "Battery: 625 Wh" in either language."""
    placed_local: str = ""
    """When it was placed, as the customer reads a clock in the store (site time zone, to the minute)."""
    shop_name: Label = field(default_factory=dict)
    """The shop's name from the catalog (the released revision carries it): the receipt's heading."""
    shop_address: str = ""
    """The store's address (setting kiosk.shop_address), under the name on the receipt."""

    def body(self) -> dict[str, Any]:
        """The ``order.placed`` event body: :class:`sync.orders.PlacedOrder` plus receipt details."""
        body = HubOrder(self.id, self.product, self.revision, dict(self.configuration), 1, self.price.total,
                        self.price.currency, {"name": self.customer.name, "phone": self.customer.phone},
                        self.estimate.ready_by.isoformat() if self.estimate else None).to_body()
        body.update({
            "number": self.number,
            "price_lines": [{"attribute": ln.attribute, "option": ln.option, "delta": str(ln.delta)}
                            for ln in self.price.lines],
            "base_price": str(self.price.base),
            "language": self.language,
            "placed_at": self.created_at,
        })
        return body

    def qr_payload(self) -> str:
        """What the receipt's QR code holds: enough for the store to find and check the order."""
        return json.dumps({"fl": "order", "id": self.id, "no": self.number, "product": self.product,
                           "total": str(self.price.total)},
                          separators=(",", ":"), ensure_ascii=False)


class KioskModel:
    """State and rules of one kiosk; one customer session at a time."""

    def __init__(self, catalog: Catalog | None, sink: EventSink, *, idle_timeout_s: float = 90.0,
                 admin_pin_hash: str = "", language: str = "en", catalog_problem: str | None = None,
                 revisions: Mapping[str, int] | None = None, clock: Callable[[], float] = time.monotonic,
                 today: Callable[[], date] | None = None, number_prefix: str = "K1", shop_address: str = "") -> None:
        self.sink = sink
        self.idle_timeout_s = idle_timeout_s
        self.admin_guard = PinGuard(admin_pin_hash, clock=clock)
        """The staff PIN, kept only as its hash; 5 wrong tries lock the pad (sync.pin)."""
        self.language = language if language in LANGUAGES else "en"
        self.default_language = self.language
        """The kiosk's own language (node.language): every new customer starts in it."""
        self.clock = clock
        self.today: Callable[[], date] = today or self.site_today
        self.catalog: Catalog | None = catalog
        self.revisions: dict[str, int] = dict(revisions or {})
        self.capacity: dict[str, Any] | None = None
        self.popular: dict[str, Any] | None = None
        """The hub's newest popular builds (sync.popular; the hub counts them in sync.hub.popular), set by the sync link; None: none yet (offline)."""
        self._builds: tuple[tuple[object, ...], list[Build]] | None = None
        """The hub's newest capacity snapshot (sync.planning.estimate), set by the sync link."""
        self._estimated: tuple[tuple[object, ...], dict[str, Any] | None, RoughEstimate] | None = None
        """The last estimate: (product and choices, the snapshot it used, the estimate)."""
        self.zone: tzinfo = UTC
        """Released revision number per product; empty for a draft catalog folder (demo)."""
        self.number_prefix = number_prefix
        self.shop_address = shop_address
        """The store's address for receipts (setting kiosk.shop_address)."""
        """This kiosk's order-number prefix (``sync.numbers.order_prefix``): K1 numbers K1-0001, K1-0002..."""
        self.catalog_problem = catalog_problem
        self.loading = catalog is None and catalog_problem is None
        """Waiting for the first catalog: the out-of-service screen says "one moment" instead."""
        self._pending_catalog: tuple[Catalog, dict[str, int]] | None = None
        self._listeners: list[Callable[[], None]] = []
        self.exit_requested = False
        self.blocked: str | None = None
        """Why the kiosk must take no orders whatever the catalog (e.g. no order store)."""
        self.sync_state = "local"  # local | online | offline | syncing
        self.sync_pending = 0
        self.staff_notes: list[str] = []
        """Technical detail of recent problems, newest first: for the staff panel, never the customer's screen."""
        self.status_source: Callable[[Mapping[str, int]], KioskStatus] | None = None
        """Reads the staff panel from the store (set once by the sync link; runs on a worker thread). The kiosk's,
        not a session's: a session's end kept it and the panel fell back to "orders stay in memory (demo)"."""
        self._reset_session()
        self.screen = Screen.ATTRACT if catalog is not None else Screen.OUT_OF_SERVICE

    # --- plumbing ---------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _reset_session(self) -> None:
        self.product: Product | None = None
        self.configurator: ProductConfigurator | None = None
        self.build: int | None = None
        """Which of :meth:`builds` the customer loaded (None: none)."""
        self.pages: list[Page] = []
        """The product's option screens, one decision at a time (kiosk.steps.paginate)."""
        self.at = 0
        """Index of the options page shown (into :attr:`pages`)."""
        self.focus: tuple[str, str] | None = None
        self.notice: Notice | None = None
        self.filled: dict[str, str] = {}
        """Attribute -> option the kiosk filled in (not the customer) and still chosen: "picked for you"."""
        self.removed_own: set[str] = set()
        """Attributes whose answer the customer gave and "Switch to this" removed: when the kiosk fills one in
        again it says so, priced or not (review: a switch to the S frame removed "180–195 cm" and Next then set
        "165–179 cm", with its shorter seat post, without a word)."""
        self._undo_marks: list[int] = []
        """The configurator's undo depth as each customer action began (see :meth:`undo`)."""
        self.picked: list[Picked] = []
        """Priced options the last Next filled in: announced with their price and a Change button each."""
        self._drawn: dict[str, frozenset[str]] = {}
        """Product code -> the attributes its picture draws (:meth:`drawn_attributes`), read once."""
        self.name = ""
        self.phone = ""
        self.active_field = "name"
        self.input_mode = self._default_input_mode()
        """``pinyin`` (letters compose Chinese in the name field) or ``latin``; the 中/EN key switches."""
        self.composer = PinyinComposer()
        self.field_errors: dict[str, str] = {}
        self.order: PlacedOrder | None = None
        self.confirmed: str | None = None
        """The hub's firm promise date (ISO) once it acked the order; None until then."""
        self.refused: str | None = None
        self.renumbered: str | None = None
        """The number the kiosk gave the order when the hub had to give it another (two kiosks with one prefix)."""
        self._early_ack: tuple[str, str, Mapping[str, Any], str] | None = None
        """The hub's answer to the order being saved, when it came before the save finished on this thread."""
        self.saving = False
        self.admin_entry = ""
        self.admin_error: str | None = None
        self.admin_unlocked = False
        """The right PIN was typed: the staff panel shows until Back."""
        self.staff_status: KioskStatus | None = None
        self.status_wanted = False
        """The window reads the status off the UI thread when this is set, then calls set_status."""
        self._admin_return = Screen.ATTRACT
        self.session_id = uuid.uuid4().hex
        self.last_touch = self.clock()
        self._asking = False
        """ "Are you still there?" was on screen at the last tick: the next one takes it away if it was answered."""
        self._screen_since = self.last_touch
        self._funnel: list[dict[str, Any]] = []

    def _go(self, screen: Screen) -> None:
        now = self.clock()
        if getattr(self, "screen", None) not in (None, Screen.ATTRACT, Screen.OUT_OF_SERVICE, Screen.ADMIN):
            self._funnel.append({"screen": self._funnel_key(), "seconds": round(now - self._screen_since, 1)})
        self._screen_since = now
        self.screen = screen

    def _funnel_key(self) -> str:
        if self.screen == Screen.OPTIONS and self.product is not None:
            page = self.page
            return f"options:{self.groups[page.step].code}" + (f".{page.index + 1}" if page.index else "")
        return str(self.screen)

    def note_for_staff(self, problem: str) -> None:
        """A problem's technical detail (a path, a setting, a command): the log and the staff panel get it;
        the customer sees only a plain sentence from kiosk.texts."""
        log.warning("kiosk: %s", problem)
        stamp = datetime.now(self.zone).strftime("%H:%M")
        self.staff_notes = [f"{stamp} {problem}", *self.staff_notes][:10]

    def _record(self, type: str, body: dict[str, Any]) -> None:
        """Funnel and feedback are best effort: a failing store must not stop a customer."""
        try:
            self.sink.record(type, body)
        except FloorLinkError:
            pass

    def _end_session(self, outcome: str) -> None:
        if self._funnel or outcome != "abandoned":
            body: dict[str, Any] = {"session": self.session_id, "outcome": outcome,
                                    "product": self.product.code if self.product else None,
                                    "steps": list(self._funnel)}
            # what a customer who saw the summary had configured: the hub's demand sensing counts it
            # as a weaker signal than an order (sync/hub/demand.py)
            if (self.product is not None and self.configurator is not None
                    and any(step["screen"] == "summary" for step in self._funnel)):
                body["configuration"] = dict(self.configurator.choices)
                body["revision"] = self.revisions.get(self.product.code, 0)
            self._record("kiosk.funnel", body)

    # --- time and touches ---------------------------------------------------------------------------
    def touch(self) -> None:
        self.last_touch = self.clock()

    @property
    def idle_warning_s(self) -> float:
        """How long before an idle reset the customer is asked "Are you still there?"."""
        return min(IDLE_WARNING_S, self.idle_timeout_s / 3)

    def idle_left(self) -> int | None:
        """Whole seconds until an idle session is cleared, while the kiosk asks "Are you still there?"; None
        otherwise. Not on the staff panel (staff know) nor while an order is being saved (never cleared then)."""
        if self.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE, Screen.ADMIN) or self.saving:
            return None
        left = self.idle_timeout_s - (self.clock() - self.last_touch)
        if left > self.idle_warning_s:
            return None
        return max(1, math.ceil(left))

    def still_here(self) -> None:
        """The customer answered "Are you still there?": the session goes on, with everything kept."""
        self.touch()
        self._changed()

    def tick(self) -> bool:
        """Called every second: clear an idle session (True when it did); count a PIN lockout down; count
        down "Are you still there?" in the last seconds before the session is cleared."""
        if self.screen == Screen.ADMIN and self.admin_error == LOCKED and not self.admin_guard.locked_for():
            self.admin_error = None
            self._changed()
        elif self.screen == Screen.ADMIN and self.admin_guard.locked_for():
            self._changed()  # the countdown on the PIN pad
        if self.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE) or self.saving:
            return False
        if self.clock() - self.last_touch < self.idle_timeout_s:
            asking = self.idle_left() is not None
            if asking or self._asking:
                self._changed()  # "Are you still there?", its countdown, or its end (a key pressed)
            self._asking = asking
            return False
        self.reset(outcome="placed" if self.screen == Screen.RECEIPT else "abandoned")
        return True

    def reset(self, outcome: str = "abandoned") -> None:
        """Back to the attract screen with nothing of the last customer left."""
        if self.screen not in (Screen.ATTRACT, Screen.OUT_OF_SERVICE):
            self._go(Screen.ATTRACT)
            if outcome != "placed":
                self._end_session(outcome)
        if self._pending_catalog is not None:
            (self.catalog, self.revisions), self._pending_catalog = self._pending_catalog, None
        self.language = self.default_language  # the next customer starts clean, in the kiosk's language
        self._reset_session()
        self.screen = Screen.ATTRACT if self.catalog is not None and not self.blocked else Screen.OUT_OF_SERVICE
        self._changed()

    # --- language, sync state, catalog ---------------------------------------------------------------
    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ConfigurationError(f"unknown language {language!r}", where="kiosk", fix="en or zh_CN")
        self.language = language
        self.input_mode = self._default_input_mode()
        self.composer.clear()
        self._changed()

    def toggle_language(self) -> None:
        self.set_language("zh_CN" if self.language == "en" else "en")

    def set_sync(self, state: str, pending: int) -> None:
        self.sync_state, self.sync_pending = state, pending
        self._changed()

    def set_catalog(self, catalog: Catalog, revisions: Mapping[str, int] | None = None) -> None:
        """A new catalog applies between sessions, never in the middle of one."""
        self.catalog_problem = None
        self.loading = False
        if self.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE):
            self.catalog, self.revisions = catalog, dict(revisions or {})
            self.screen = Screen.OUT_OF_SERVICE if self.blocked else Screen.ATTRACT
        else:
            self._pending_catalog = (catalog, dict(revisions or {}))
        self._changed()

    def set_catalog_problem(self, problem: str) -> None:
        """A broken catalog: keep the last good one if there is one, else go out of service."""
        self.catalog_problem = problem
        self.loading = False
        if self.catalog is None:
            self.screen = Screen.OUT_OF_SERVICE
        self._changed()

    # --- attract and gallery ----------------------------------------------------------------------------
    def block(self, reason: str) -> None:
        """Take no orders at all (shown as out of service) until the app restarts."""
        self.blocked = reason
        self.loading = False
        self._reset_session()
        self.screen = Screen.OUT_OF_SERVICE
        self._changed()

    def start(self) -> None:
        if self.catalog is None or self.blocked:
            return
        self.touch()
        self._go(Screen.GALLERY)
        self._changed()

    def products(self) -> list[ProductCard]:
        if self.catalog is None:
            return []
        return [ProductCard(p.code, dict(p.name), dict(p.description) if p.description else None,
                            self.catalog.picture(p.code, p.image), p.base_price, p.currency)
                for p in self.catalog.products.values()]

    def picture(self, path: str | None) -> Path | None:
        """The file of a picture of the current product (a folder's file or a released revision's)."""
        if self.catalog is None or self.product is None:
            return None
        return self.catalog.picture(self.product.code, path)

    def paint(self) -> str | None:
        """The colour (#rrggbb) the product's picture takes: the swatch of the option the order has for the
        first attribute that offers colours, chosen or (still open) the one shown preselected, as the running
        total counts it (live: black preselected beside an orange bike); None: the picture as drawn."""
        if self.product is None or self.configurator is None:
            return None
        coloured = [a for a in self.product.attributes if any(o.swatch for o in a.options)]
        if not coloured:
            return None
        choices = self.configurator.choices
        if coloured[0].code not in choices:
            choices = self._completion() or choices
        option = coloured[0].option(choices.get(coloured[0].code, ""))
        return option.swatch if option is not None else None

    def drawn_attributes(self) -> frozenset[str]:
        """The attributes the product's own picture draws (its ``data-when`` parts): on their pages the side
        panel shows the bike as chosen, not the option's small icon (live: the City's frame-type page showed a
        line drawing of a frame while the picture could draw the step-through bike itself)."""
        if self.product is None:
            return frozenset()
        code = self.product.code
        if code not in self._drawn:
            path = self.picture(self.product.image)
            drawn: frozenset[str] = frozenset()
            if path is not None and path.suffix.lower() == ".svg":
                try:
                    drawn = frozenset(attribute for attribute, _ in conditions(path.read_bytes()))
                except (OSError, PaintError):
                    log.warning("kiosk: cannot read the parts of %s's picture %s", code, path, exc_info=True)
            self._drawn[code] = drawn
        return self._drawn[code]

    def picture_choices(self) -> tuple[tuple[str, str], ...]:
        """The configuration the product's picture shows (its parts for options, ``data-when``): the choices,
        open questions as preselected; sorted, so the same configuration draws from the same cache entry."""
        if self.configurator is None:
            return ()
        return tuple(sorted((self._completion() or self.configurator.choices).items()))

    def select_product(self, code: str) -> None:
        if self.catalog is None or code not in self.catalog.products:
            raise ConfigurationError(f"unknown product {code!r}", where="kiosk gallery")
        from sync.configurator.product import ProductConfigurator

        self.touch()
        self.product = self.catalog.products[code]
        self.configurator = ProductConfigurator(self.product)
        self._undo_marks = []
        self.filled, self.removed_own, self.picked = {}, set(), []
        self.pages = paginate(self.product, [g.code for g in self.groups], first_page_reserve=BUILDS_HEIGHT)
        self.at = 0
        self.focus = None
        self.notice = None
        self._go(Screen.OPTIONS)
        self._changed()

    # --- popular builds --------------------------------------------------------------------------------
    def builds(self) -> list[Build]:
        """Up to three starting points for the product: its most-ordered configurations that still fit the
        catalog sold here, else (offline, no orders yet, none fitting) the catalog's defaults as "Standard"."""
        from sync.configurator.product import ProductConfigurator
        from sync.popular import check_popular

        if self.product is None:
            return []
        key = (self.product.code, id(self.product), id(self.popular))
        if self._builds is not None and self._builds[0] == key:
            return self._builds[1]
        product = self.product
        standard = ProductConfigurator(product).complete()
        found: list[Build] = []
        try:
            offered = check_popular(self.popular).get(product.code, []) if self.popular is not None else []
        except FloorLinkError as exc:  # a bad message: the Standard build, and the detail for staff
            self.note_for_staff(f"popular builds ignored: {exc}")
            offered = []
        for entry in offered:
            configuration = entry["configuration"]
            config = ProductConfigurator(product)
            try:
                for attr in product.attributes:
                    config.choose(attr.code, configuration[attr.code])
            except (KeyError, FloorLinkError):
                continue  # ordered against another revision: not offered
            if configuration in [b.configuration for b in found]:
                continue
            found.append(self._build(BUILD_NAMES[len(found)], dict(config.choices), standard, entry["orders"]))
            if len(found) == len(BUILD_NAMES):
                break
        if not found:
            found = [self._build(STANDARD, standard, standard, 0)]
        self._builds = (key, found)
        return found

    def _build(self, name: str, configuration: dict[str, str], standard: dict[str, str], orders: int) -> Build:
        assert self.product is not None
        from sync.configurator.product import ProductConfigurator

        config = ProductConfigurator(self.product)
        for attr in self.product.attributes:
            config.choose(attr.code, configuration[attr.code])
        differs: list[tuple[Decimal, Label]] = []
        for attr in self.product.attributes:
            if configuration[attr.code] != standard.get(attr.code):
                option = attr.option(configuration[attr.code])
                if option is not None:
                    differs.append((option.price, dict(option.label)))
        differs.sort(key=lambda d: -d[0])
        return Build(name, configuration, config.price().total, [label for _price, label in differs], orders)

    def load_build(self, index: int) -> None:
        """The customer starts from build ``index``: its options become their choices (the Standard build:
        nothing chosen, every default preselected); they stay on the first page to change what matters."""
        from sync.configurator.product import ProductConfigurator

        builds = self.builds()
        if self.product is None or not 0 <= index < len(builds):
            raise ConfigurationError(f"no build {index}", where="kiosk", fix=f"0 to {len(builds) - 1}")
        self.touch()
        build = builds[index]
        self.configurator = ProductConfigurator(self.product)
        if not build.standard:
            for attr in self.product.attributes:
                self.configurator.choose(attr.code, build.configuration[attr.code])
        self.filled = {}
        self.removed_own = set()
        self._undo_marks = [0]  # Undo takes the whole build back
        self.picked = []
        self.focus = None
        self.build = index
        self.notice = None
        self.at = 0
        self._changed()

    # --- option steps -------------------------------------------------------------------------------------
    @property
    def groups(self) -> list[Group]:
        if self.product is None:
            return []
        used = {a.group for a in self.product.attributes}
        return [g for g in self.product.groups if g.code in used]

    @property
    def page(self) -> Page:
        """The options page shown."""
        if not self.pages:
            raise ConfigurationError("no product chosen", where="kiosk", fix="choose a product first")
        return self.pages[self.at]

    @property
    def step(self) -> int:
        """Index of the group (in :attr:`groups`) of the page shown."""
        return self.pages[self.at].step if self.pages else 0

    def progress(self) -> tuple[int, int, int, int]:
        """Where the customer is, counted as the side panel shows it: step (1-based group) of steps, and the
        page of that step's pages (1 of 1 for most). "Step 3 of 10" counted pages beside five group buttons."""
        if not self.pages:
            return 0, 0, 0, 0
        page = self.pages[self.at]
        parts = sum(1 for p in self.pages if p.step == page.step)
        return page.step + 1, len(self.groups), page.index + 1, parts

    def _config(self) -> ProductConfigurator:
        if self.configurator is None:
            raise ConfigurationError("no product chosen", where="kiosk", fix="choose a product first")
        return self.configurator

    def attributes(self) -> list[AttributeView]:
        """The attributes of the page shown with the state of every option."""
        config = self._config()
        assert self.product is not None
        asked = self.page.attributes
        suggested = config.complete()
        return [AttributeView(a.code, dict(a.label), dict(a.help) if a.help else None,
                              [self._shown(a.code, s) for s in config.options(a.code)], suggested.get(a.code),
                              a.default or a.options[0].code)
                for a in self.product.attributes if a.code in asked]

    def option_state(self, attribute: str, option: str) -> OptionState:
        """An option as the screen shows it: one that only the kiosk's own picks rule out is open to a tap."""
        return self._shown(attribute, self._rules_state(attribute, option))

    def _rules_state(self, attribute: str, option: str) -> OptionState:
        """An option as the rules judge it against every choice, the kiosk's picks included."""
        for state in self._config().options(attribute):
            if state.code == option:
                return state
        raise ConfigurationError(f"unknown option {option!r} of {attribute}", where="kiosk")

    def _shown(self, attribute: str, state: OptionState) -> OptionState:
        return replace(state, available=True, reason=None) if self._only_picks_against(attribute, state) else state

    def _only_picks_against(self, attribute: str, state: OptionState) -> bool:
        """Whether ``state`` is ruled out only by options the kiosk filled in, none the customer chose. Seen on
        the live demo: after a look at the summary and Back, every other rider height was greyed "not with your
        choices" because of the frame size the kiosk had picked for the summary; the customer had chosen none."""
        if state.available or state.reason is None or not self.filled:
            return False
        if not set(state.reason.choices) <= set(self.filled):
            return False
        dropped = self._config().switch_drops(attribute, state.code, self._own_first())
        return bool(dropped) and set(dropped) <= set(self.filled)

    def _labels(self, attribute: str, option: str) -> tuple[Label, Label]:
        assert self.product is not None
        attr = self.product.attribute(attribute)
        assert attr is not None
        opt = attr.option(option)
        return dict(attr.label), dict(opt.label) if opt else {"en": option, "zh_CN": option}

    def tap_option(self, attribute: str, option: str) -> None:
        """Choose an available option; an unavailable one is focused with its reason instead."""
        self._mark()
        config = self._config()
        self.touch()
        self.focus = (attribute, option)
        judged = self._rules_state(attribute, option)
        state = self._shown(attribute, judged)
        if not state.available:
            self.notice = Notice(N_("{option} is not available with your current choices."),
                                 {"option": state.label}, "warn")
        elif not state.chosen:
            before = self._completion()
            if not judged.available:  # only the kiosk's picks were against it
                for dropped in config.switch(attribute, option, self._own_first()):
                    self.filled.pop(dropped, None)  # open again: Next or the summary preselects them anew
            elif attribute in config.choices:
                config.switch(attribute, option)
            else:
                config.choose(attribute, option)
            self.notice = self._needs_notice(state.label, before)
            self.picked = []
        if state.available:
            self.filled.pop(attribute, None)  # the customer's own choice now, even when it is the same option
        self._changed()

    def _completion(self) -> dict[str, str] | None:
        """What the open questions would take now (None when the rules leave none: the log says why)."""
        try:
            return self._config().complete()
        except ConfigurationError:
            log.warning("kiosk: no completion of the choices", exc_info=True)
            return None

    def _needs_notice(self, option: Label, before: dict[str, str] | None) -> Notice | None:
        """The running total counts the priced options a choice forces on questions still open (the 85 Nm
        motor needs the 4-piston brakes): say so when it happens, not only on the summary (seen live: the
        total rose by ¥500 that no screen explained)."""
        after = self._completion()
        if before is None or after is None or self.product is None:
            return None
        choices = self._config().choices
        currency = self.product.currency
        forced: list[tuple[Label, Label, Decimal]] = []
        for attr in self.product.attributes:
            if attr.code in choices or before.get(attr.code) == after.get(attr.code):
                continue
            old, new = attr.option(before.get(attr.code, "")), attr.option(after.get(attr.code, ""))
            if new is not None and new.price > (old.price if old is not None else Decimal(0)):
                forced.append((dict(attr.label), dict(new.label), new.price))
        if not forced:
            return None
        # "; " between them: the options' own names hold commas ("Air, 160 mm (enduro) +¥2,100")
        names = {lang: ("；" if lang == "zh_CN" else "; ").join(
            f"{name.get(lang) or name.get('en', '')}{'：' if lang == 'zh_CN' else ': '}{label.get(lang) or label.get('en', '')} "
            f"{money(price, currency, sign=True)}" for name, label, price in forced)
            for lang in LANGUAGES}
        if len(forced) == 1:
            return Notice(N_("{option} needs {forced}: it is in the total."), {"option": option, "forced": names}, "info")
        return Notice(N_("{option} needs {forced}: they are in the total."), {"option": option, "forced": names}, "info")

    def _own_first(self) -> list[str]:
        """The customer's own choices (kept first when a switch must drop some), then the kiosk's."""
        return [a for a in self._config().choices if a not in self.filled]

    def _choice_text(self, attribute: str, option: str) -> Label:
        """``Motor: Mid-drive, 65 Nm``, with "(picked for you)" when the kiosk filled it in, not the customer."""
        attr_label, opt_label = self._labels(attribute, option)
        picked = self.filled.get(attribute) == option
        out = {}
        for lang in LANGUAGES:
            colon = "：" if lang == "zh_CN" else ": "
            text = f"{attr_label.get(lang) or attr_label.get('en', '')}{colon}{opt_label.get(lang) or opt_label.get('en', '')}"
            out[lang] = text + f" ({{{PICKED_KEY}}})" if picked else text
        return out

    def why(self, attribute: str, option: str) -> list[Notice]:
        """What the reason panel says about an unavailable option, every line true of this customer's screen:
        the choices it does not go with (the kiosk's own picks called that), the rules' own sentences (a table
        rule's sentence about the whole table is left out), and what "Switch to this" will remove."""
        config = self._config()
        state = self._rules_state(attribute, option)
        if state.available or state.reason is None:
            return []
        reason = state.reason
        lines = []
        if reason.choices:
            joined = {lang: ("、" if lang == "zh_CN" else ", ").join(self._choice_text(a, o)[lang]
                                                                   for a, o in reason.choices.items())
                      for lang in LANGUAGES}
            lines.append(Notice(N_("It does not go with: {choices}."), {"choices": joined}))
        else:
            lines.append(Notice(N_("We do not build this at the moment.")))
        lines.extend(Notice("{rule}", {"rule": dict(message)}) for message in reason.rule_messages)
        dropped = config.switch_drops(attribute, option, self._own_first())
        if dropped:
            removed = {lang: ("、" if lang == "zh_CN" else ", ").join(self._choice_text(a, o)[lang]
                                                                    for a, o in dropped.items())
                       for lang in LANGUAGES}
            lines.append(Notice(N_("Switch to this removes: {removed}."), {"removed": removed}))
        return lines

    def switch_to(self, attribute: str, option: str) -> dict[str, str]:
        """Take an unavailable option and drop the fewest earlier choices that conflict with it
        (the customer's own choices are kept before the kiosk's picks), as the reason panel said."""
        self._mark()
        config = self._config()
        self.touch()
        dropped = config.switch(attribute, option, self._own_first())
        self.removed_own.update(a for a in dropped if a not in self.filled)
        self.filled.pop(attribute, None)
        self.picked = []
        self.focus = (attribute, option)
        names = [self._labels(a, o)[1] for a, o in dropped.items()]
        removed = {lang: ", ".join(n.get(lang, "") for n in names) for lang in LANGUAGES}
        self.notice = Notice(N_("Switched to {option}. Removed: {removed}."),
                             {"option": self._labels(attribute, option)[1], "removed": removed}, "info")
        self._changed()
        return dropped

    def _mark(self) -> None:
        """A customer action begins: Undo takes back everything it changes (its own choice and the
        options the kiosk filled in because of it) in one tap."""
        if self.configurator is not None:
            self._undo_marks.append(self.configurator.depth)

    def undo(self) -> None:
        """Take back the customer's last action that changed something, and show the page of the first
        option it changed. On the live demo Undo after a jump to a later step took back, one tap at a time,
        options the kiosk had filled in on pages out of view, and the screen did not move."""
        config = self._config()
        self.touch()
        self.picked = []
        while self._undo_marks and self._undo_marks[-1] >= config.depth:
            self._undo_marks.pop()  # actions that changed nothing (a Next with nothing to fill)
        if config.depth == 0:
            self.notice = Notice(N_("Nothing to undo."))
            self._changed()
            return
        mark = self._undo_marks.pop() if self._undo_marks else config.depth - 1
        before = config.choices
        while config.depth > mark:
            config.undo()
        after = config.choices
        self.filled = {a: o for a, o in self.filled.items() if after.get(a) == o}
        self.notice = Notice(N_("Undone."))
        changed = {a for a in before.keys() | after.keys() if before.get(a) != after.get(a)}
        if changed and self.screen == Screen.OPTIONS and self.product is not None:
            first = next(a.code for a in self.product.attributes if a.code in changed)
            self.at = next((i for i, page in enumerate(self.pages) if first in page.attributes), self.at)
            self.focus = (first, after[first]) if first in after else None
        self._changed()

    def can_undo(self) -> bool:
        return bool(self.configurator and self.configurator.depth > 0)

    def ask_for_combination(self, attribute: str, option: str) -> None:
        """The customer wants an option the rules forbid with their choices: tell the factory."""
        config = self._config()
        assert self.product is not None
        self.touch()
        self._record("kiosk.feedback", {"kind": "combination_request", "product": self.product.code,
                                        "wanted": {attribute: option}, "choices": dict(config.choices)})
        self.notice = Notice(N_("Thank you: we passed on your wish for {option}."),
                             {"option": self._labels(attribute, option)[1]})
        self._changed()

    def flag_unclear(self, attribute: str, option: str) -> None:
        assert self.product is not None
        self.touch()
        self._record("kiosk.feedback", {"kind": "unclear_option", "product": self.product.code,
                                        "attribute": attribute, "option": option})
        self.notice = Notice(N_("Thank you: we will explain {option} better."),
                             {"option": self._labels(attribute, option)[1]})
        self._changed()

    def _fill(self, pages: list[Page]) -> list[Picked]:
        """Take the suggested option for every attribute of ``pages`` the customer left open; what was taken."""
        config = self._config()
        assert self.product is not None
        asked = {code for page in pages for code in page.attributes}
        taken = []
        suggested = config.complete() if any(code not in config.choices for code in asked) else {}
        for attr in self.product.attributes:
            if attr.code in asked and attr.code not in config.choices:
                code = suggested[attr.code]
                option = attr.option(code)
                price = option.price if option else Decimal(0)
                needed = bool(price) and not any(s.available and s.price < price for s in config.options(attr.code))
                config.choose(attr.code, code)
                self.filled[attr.code] = code
                taken.append(Picked(attr.code, code, dict(attr.label),
                                    dict(option.label) if option else {"en": code, "zh_CN": code}, price, needed))
        return taken

    def _announce(self, taken: list[Picked]) -> None:
        """Priced options the kiosk filled in are said with their price and a Change button; free ones are not."""
        self.focus = None
        self.notice = None
        # a free default is no surprise; a price is, and so is another answer to a question the customer answered
        self.picked = [p for p in taken if self.announced(p.attribute, p.price)]
        if self.picked:
            currency = self.product.currency if self.product else "CNY"

            def name(p: Picked, lang: str) -> str:
                option = p.option_label.get(lang) or p.option_label.get("en", "")
                if p.price:
                    return f"{option} {money(p.price, currency, sign=True)}"
                colon = "：" if lang == "zh_CN" else ": "
                return f"{p.attribute_label.get(lang) or p.attribute_label.get('en', '')}{colon}{option}"

            names = {lang: ("、" if lang == "zh_CN" else ", ").join(name(p, lang) for p in self.picked)
                     for lang in LANGUAGES}
            if all(p.needed for p in self.picked):  # "choose another" was not true: nothing cheaper was possible
                self.notice = Notice(N_("Your choices need {options}. Tap Change to see why or to choose otherwise."),
                                     {"options": names}, "warn")
            else:
                self.notice = Notice(N_("We picked for you: {options}. Tap Change to choose another."),
                                     {"options": names}, "warn")

    def announced(self, attribute: str, price: Decimal) -> bool:
        """Whether an option the kiosk fills in is said ("picked for you", a Change button): when it costs
        something, or when it replaces the customer's own answer that a switch removed."""
        return bool(price) or attribute in self.removed_own

    def next(self) -> None:
        """The page's open questions take their preselected option; on to the next page (or the summary)."""
        self._mark()
        self.touch()
        if self.at + 1 < len(self.pages):
            self._announce(self._fill([self.page]))
            self._go(Screen.OPTIONS)
            self.at += 1
        else:
            self._to_summary()
        self._changed()

    def _to_summary(self) -> None:
        """Every question still open takes its preselected option (priced ones announced), also one on an
        earlier page that "Switch to this" cleared: the summary and the order are always complete."""
        self._announce(self._fill(self.pages))
        self._go(Screen.SUMMARY)

    def jump(self, step: int) -> None:
        """A tap on a group in the side panel's list of steps: its first page. Pages passed over on the
        way forward take their preselected options, as Next would (announced when priced)."""
        self._mark()
        if not 0 <= step < len(self.groups):
            raise ConfigurationError(f"no step {step}", where="kiosk", fix=f"0 to {len(self.groups) - 1}")
        self.touch()
        target = next(i for i, page in enumerate(self.pages) if page.step == step)
        self._announce(self._fill(self.pages[self.at:target]) if target > self.at else [])
        self._go(Screen.OPTIONS)
        self.at = target
        self._changed()

    def can_finish(self) -> bool:
        """Every question still open has an option the kiosk can preselect ("Looks good" may skip them)."""
        if self.configurator is None or self.product is None:
            return False
        try:
            suggested = self.configurator.complete()
        except FloorLinkError:
            return False
        return all(a.code in suggested for a in self.product.attributes)

    def finish(self) -> None:
        """"Looks good — go to summary": every open question takes its preselected option (priced ones are
        announced on the summary with a Change button each)."""
        self._mark()
        self.touch()
        if not self.can_finish():
            self.next()
            return
        self._to_summary()
        self._changed()

    def change(self, attribute: str) -> None:
        """The customer's one tap on "Change" for an option the kiosk picked: back to its step, focused on it."""
        assert self.product is not None
        self.touch()
        attr = self.product.attribute(attribute)
        if attr is None:
            raise ConfigurationError(f"unknown attribute {attribute!r}", where="kiosk")
        at = next(i for i, page in enumerate(self.pages) if attribute in page.attributes)
        self._go(Screen.OPTIONS)
        self.at = at
        chosen = self._config().choices.get(attribute)
        self.focus = (attribute, chosen) if chosen else None
        self.picked = []
        self.notice = None
        others = [o.code for o in attr.options if o.code != chosen]
        ruled_out = [o for o in others if not self._rules_state(attribute, o).available]
        if chosen and others and ruled_out == others:
            # "Your choices need …: tap Change to see why": the why of the option it replaced (review: the step
            # showed only the forced option, its reason came only from tapping a greyed tile)
            default = self.product.defaults().get(attribute)
            shown = default if default in ruled_out else ruled_out[0]
            self.focus = (attribute, shown)
            state = self._shown(attribute, self._rules_state(attribute, shown))
            self.notice = Notice(N_("{option} is not available with your current choices."),
                                 {"option": state.label}, "warn")
        self._changed()

    def back(self) -> None:
        self.touch()
        self.notice = None
        self.picked = []
        self.focus = None
        self.field_errors = {}
        if self.screen == Screen.OPTIONS:
            if self.at > 0:
                self._go(Screen.OPTIONS)
                self.at -= 1
            else:
                self._go(Screen.GALLERY)
        elif self.screen == Screen.SUMMARY:
            self._go(Screen.OPTIONS)
            self.at = len(self.pages) - 1
        elif self.screen == Screen.DETAILS:
            self._go(Screen.SUMMARY)
        elif self.screen == Screen.GALLERY:
            self.reset()
            return
        self._changed()

    # --- summary ---------------------------------------------------------------------------------------------
    def price(self, so_far: bool = False) -> PriceBreakdown:
        """The order's price; ``so_far`` (the options pages' running total) with open questions at the options
        the kiosk preselects, the same completion the side panel's date and the summary use."""
        return self._config().price(so_far)

    def site_today(self) -> date:
        """The store's date (``node.time_zone``), not the machine's: a kiosk whose clock runs on UTC in Suzhou
        is still on yesterday until 08:00, and would plan its estimate from yesterday's midnight."""
        return datetime.now(self.zone).date()

    def estimate(self, so_far: bool = False) -> RoughEstimate | None:
        """The summary's estimate; with ``so_far`` also while choosing (the choices so far, catalog
        defaults for the rest), so the options side panel shows the same date the summary will.
        Computed once per set of choices (the snapshot planner is not free): a tap on the same
        choices, a language switch or a Back/Next reuses it."""
        from kiosk.estimate import rough_estimate, snapshot_estimate

        config = self._config()
        if self.product is None:
            return None
        if config.is_complete():
            choices = config.choices
        elif so_far:
            choices = config.complete()
        else:
            return None
        key = (self.product.code, tuple(sorted(choices.items())), self.today())
        if self._estimated is not None and self._estimated[0] == key and self._estimated[1] is self.capacity:
            return self._estimated[2]
        found = None
        if self.capacity is not None:  # the hub's capacity snapshot: its own planner, offline
            found = snapshot_estimate(self.capacity, self.product, choices, self.today(), self.zone)
        if found is None:
            found = rough_estimate(self.product, choices, self.today())
        self._estimated = (key, self.capacity, found)
        return found

    def date_story(self, so_far: bool = False) -> DateStory:
        """The one delivery date story: "about" from the kiosk until the hub's firm date replaces it
        (``so_far``: while choosing, see :meth:`estimate`)."""
        if self.order is not None:  # after ordering: what the summary showed, and the hub's answer
            shown = self.order.estimate
            return DateStory(shown.ready_by if shown else None, shown.working_days if shown else None,
                             firm_date(self.confirmed), self.refused is not None)
        if self.configurator is None or self.product is None:
            return DateStory(None)
        estimate = self.estimate(so_far)
        return DateStory(estimate.ready_by, estimate.working_days) if estimate else DateStory(None)

    def to_details(self) -> None:
        """Order now: the summary's "we picked for you" and its Change buttons stay behind on the summary."""
        self.touch()
        self.notice = None
        self.picked = []
        self._go(Screen.DETAILS)
        self._changed()

    # --- customer details and the order ---------------------------------------------------------------------
    def focus_field(self, name: str) -> None:
        self.touch()
        if name != self.active_field:
            self.composer.clear()
        self.active_field = name
        self._changed()

    def set_field(self, name: str, text: str) -> None:
        self.touch()
        setattr(self, name, text)
        if self.field_errors:
            self._validate()
            if not self.field_errors and self.notice is not None and self.notice.tone == "error":
                self.notice = None
        self._changed()

    def _default_input_mode(self) -> str:
        return "pinyin" if self.language == "zh_CN" else "latin"

    def toggle_input_mode(self) -> None:
        """The 中/EN key; letters typed in pinyin and not yet turned into characters stay as letters."""
        self.touch()
        if self.input_mode == "pinyin":
            self.input_mode = "latin"
            letters = self.composer.take_letters()
            if letters:
                self.set_field(self.active_field, getattr(self, self.active_field) + letters)
                return
        else:
            self.input_mode = "pinyin"
        self._changed()

    def composing(self) -> bool:
        """True while letters typed in pinyin wait for a candidate to be picked."""
        return self.input_mode == "pinyin" and self.active_field == "name" and self.composer.composing

    def pick_candidate(self, index: int) -> None:
        """Tap on candidate ``index`` of the page shown: it goes into the name."""
        self.touch()
        text = self.composer.pick(index)
        self.set_field(self.active_field, getattr(self, self.active_field) + text)

    def candidate_page(self, step: int) -> None:
        """Next (+1) or previous (-1) page of candidates."""
        self.touch()
        if step > 0:
            self.composer.next_page()
        else:
            self.composer.previous_page()
        self._changed()

    def type_into(self, field: str, key: str) -> None:
        """A key of the letters (``name``) or of the number pad (``phone``): it goes to its own field, which
        becomes the active one; letters still waiting for a Chinese character stay in the name as letters."""
        if field != self.active_field:
            if self.composing():
                self.name += self.composer.take_letters()
            self.active_field = field
        self.type_key(key)

    def type_key(self, key: str) -> None:
        """A key of the on-screen keyboard: a character, ``backspace`` or ``space``.

        In pinyin mode letters for the name compose Chinese: they wait in :attr:`composer` until a
        candidate is picked; space picks the first, backspace removes a letter.
        """
        if self.input_mode == "pinyin" and self.active_field == "name":
            if len(key) == 1 and key.isascii() and key.isalpha():
                self.touch()
                typed = self.name.strip()
                self.composer.surname_first = not typed  # a Chinese name begins with the surname
                self.composer.given_name = bool(typed) and all(is_han(c) for c in typed)  # then the given name
                self.composer.type(key)
                self._changed()
                return
            if self.composer.composing:
                if key == "backspace":
                    self.touch()
                    self.composer.backspace()
                    self._changed()
                    return
                first = self.composer.pick(0) if self.composer.visible() else self.composer.take_letters()
                self.name += first
                if key == "space":
                    self.set_field("name", self.name)
                    return
        current = getattr(self, self.active_field)
        if key == "backspace":
            current = current[:-1]
        elif key == "space":
            current += " "
        else:
            current += key
        self.set_field(self.active_field, current)

    def _validate(self) -> Customer | None:
        name, name_problem = check_name(self.name)
        phone, phone_problem = check_phone(self.phone)
        if self.input_mode == "pinyin" and self.composer.composing:
            # letters still waiting for a character are not part of the name yet: say so, never drop them silently
            name_problem = N_("Tap a character above the keys to finish your name, or 中 ⇄ EN to keep the letters.")
        self.field_errors = {k: v for k, v in (("name", name_problem), ("phone", phone_problem)) if v}
        return None if self.field_errors else Customer(name, phone)

    def begin_order(self) -> PlacedOrder | None:
        """Check the details and build the order; None (with field errors) when they are wrong."""
        self.touch()
        customer = self._validate()
        if customer is None or self.saving:
            self.notice = Notice(N_("Please check the fields marked in red."), tone="error") if customer is None else None
            self._changed()
            return None
        config = self._config()
        assert self.product is not None
        order_id = str(uuid.uuid4())
        self.saving = True
        self.notice = Notice(N_("Placing your order..."))
        self._changed()
        now = datetime.now(UTC)
        # numbered by the sink as it is stored (save_order): the kiosk's own counter, so offline is final too
        return PlacedOrder(order_id, "", self.product.code, dict(self.product.name),
                           dict(config.choices), config.price(), customer,
                           now.isoformat(timespec="seconds"), self.language, self.estimate(),
                           self.revisions.get(self.product.code, 0),
                           {a.code: dict(a.label) for a in self.product.attributes},
                           now.astimezone(self.zone).strftime("%Y-%m-%d %H:%M"),
                           dict(self.catalog.name) if self.catalog is not None else {}, self.shop_address)

    def save_order(self, order: PlacedOrder) -> tuple[PlacedOrder, str | None]:
        """Number and write the order (call off the UI thread): the numbered order, and the problem
        text when it could not be stored."""
        try:
            number = self.sink.record_order(self.number_prefix, lambda n: replace(order, number=n).body())
        except FloorLinkError as exc:  # shown to the customer and staff; the log keeps it with the time
            log.error("order not stored: %s", exc.message)
            return order, exc.message
        return replace(order, number=number), None

    def finish_order(self, order: PlacedOrder, problem: str | None) -> None:
        self.saving = False
        if problem is not None:
            self.note_for_staff(f"order not stored: {problem}")
            self.notice = Notice(N_("Your order could not be saved, nothing was charged. Please ask our staff."),
                                 tone="error")
        else:
            self.order = order
            self.notice = None
            self._go(Screen.RECEIPT)
            self._end_session("placed")
            early, self._early_ack = self._early_ack, None
            if early is not None and early[0] == order.id:
                self.order_acked(*early)
                return
        self._changed()

    def background_failed(self, problem: str) -> None:
        """Work off the UI thread failed (its traceback is in the log): say so plainly, the detail for staff."""
        self.saving = False
        self.note_for_staff(problem)
        self.notice = Notice(N_("Something went wrong. Please ask our staff."), tone="error")
        self._changed()

    def order_acked(self, order_id: str, status: str, result: Mapping[str, Any], reason: str = "") -> None:
        """The hub answered an order: a firm date (shown if that customer is still here) or a refusal."""
        if self.order is None and self.saving:  # answered before the save came back to this thread
            self._early_ack = (order_id, status, dict(result), reason)
            return
        if self.order is None or self.order.id != order_id:
            return
        if status == "ok":
            number = result.get("number")
            if is_order_number(number) and number != self.order.number:
                # the hub found the kiosk's number taken (it raised an order_number alert for staff): the customer
                # must hold the number the shop will look the order up by
                log.warning("kiosk: the hub numbered order %s %s, not %s", order_id, number, self.order.number)
                self.renumbered = self.order.number
                self.order = replace(self.order, number=number)
            self.confirmed = str(result.get("promise_date") or "") or None
            if self.confirmed is not None and firm_date(self.confirmed) is None:
                log.warning("kiosk: the hub's promise_date %r for order %s is not a date", self.confirmed, order_id)
        else:
            self.refused = reason or "refused"
        self._changed()

    def place_order(self) -> PlacedOrder | None:
        """begin + save + finish in one go (tests, the synchronous path)."""
        order = self.begin_order()
        if order is None:
            return None
        self.finish_order(*self.save_order(order))
        return self.order

    # --- admin --------------------------------------------------------------------------------------------------
    def open_admin(self) -> None:
        self._admin_return = self.screen
        self.admin_entry = ""
        self.admin_error = LOCKED if self.admin_guard.locked_for() else None
        self.admin_unlocked = False
        self.screen = Screen.ADMIN
        self._changed()

    def admin_key(self, key: str) -> None:
        self.touch()
        if key == "backspace":
            self.admin_entry = self.admin_entry[:-1]
        elif key.isdigit() and len(self.admin_entry) < 12:
            self.admin_entry += key
        self._changed()

    def admin_locked_for(self) -> int:
        """Seconds until the PIN pad takes PINs again after too many wrong ones (0: open)."""
        return self.admin_guard.locked_for()

    def admin_submit(self) -> bool:
        """The right PIN opens the staff panel (status, refused orders, Leave the app); 5 wrong in a row
        lock the pad for a minute (longer each time), with the seconds left on screen."""
        if self.admin_guard.check(self.admin_entry):
            self.admin_entry = ""
            self.admin_error = None
            self.admin_unlocked = True
            self.status_wanted = True
            self._changed()
            return True
        self.admin_entry = ""
        self.admin_error = LOCKED if self.admin_guard.locked_for() else N_("Wrong PIN.")
        self._changed()
        return False

    def leave_app(self) -> None:
        """Close the kiosk: only from the staff panel, after the PIN."""
        if self.admin_unlocked:
            self.exit_requested = True
            self._changed()

    def refresh_status(self) -> None:
        self.status_wanted = True
        self._changed()

    def status_reader(self) -> Callable[[], KioskStatus]:
        """The read to run off the UI thread (revisions copied now, on the UI thread)."""
        self.status_wanted = False
        revisions = dict(self.revisions)
        source = self.status_source
        return (lambda: source(revisions)) if source is not None else (lambda: memory_status(revisions))

    def set_status(self, status: KioskStatus) -> None:
        self.staff_status = status
        self._changed()

    def admin_cancel(self) -> None:
        self.admin_unlocked = False
        self.screen = self._admin_return
        self._changed()
