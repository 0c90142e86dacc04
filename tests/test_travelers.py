"""Travelers print labels that a station's real decoder reads back as the documented syntax."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from sync.hub.travelers import traveler_pdf
from sync.labels import WorkOrderLabel, parse
from sync.labels import format as format_label

WORK_ORDER = {
    "id": "K1-0007-02", "product": "CITY", "quantity": 2, "order_id": "K1-0007",
    "configuration": [["colour", "red"], ["frame_size", "M"]],
    "operations": [
        {"number": 10, "name": "Weld frame", "work_centre": "WELD", "setup_minutes": 20, "run_minutes": 45},
        {"number": 20, "name": "Inspect welds", "work_centre": "QC", "setup_minutes": 0, "run_minutes": 5, "qc": True},
    ],
}


def render(pdf: bytes, folder: Path) -> list[Path]:
    from PySide6.QtCore import QSize
    from PySide6.QtPdf import QPdfDocument

    source = folder / "traveler.pdf"
    source.write_bytes(pdf)
    document = QPdfDocument()
    assert document.load(str(source)) == QPdfDocument.Error.None_
    pages = []
    for index in range(document.pageCount()):
        size = document.pagePointSize(index)
        image = document.render(index, QSize(int(size.width() * 3), int(size.height() * 3)))
        path = folder / f"traveler-{index + 1}.png"
        assert image.save(str(path))
        on_paper(path)
        pages.append(path)
    return pages


def on_paper(path: Path) -> None:
    """The rendered page has a transparent background: put it on white paper, as printed."""
    rgba = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if rgba.ndim == 3 and rgba.shape[2] == 4:
        alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
        white = np.full_like(rgba[:, :, :3], 255)
        cv2.imwrite(str(path), (rgba[:, :, :3] * alpha + white * (1 - alpha)).astype(np.uint8))


def test_every_label_on_the_traveler_reads_back_with_the_station_decoder(tmp_path: Path, artifacts: Path) -> None:
    from terminal.decode.chain import DecodeChain

    pages = render(traveler_pdf(WORK_ORDER), tmp_path)
    (artifacts / "traveler-1.png").write_bytes(pages[0].read_bytes())
    chain = DecodeChain(formats=("Code128", "QRCode"))
    found = {(code.format, code.text) for page in pages for code in chain.decode(cv2.imread(str(page)))}
    labels = {parse(text) for _, text in found}
    assert labels == {WorkOrderLabel("K1-0007-02"), WorkOrderLabel("K1-0007-02", 10), WorkOrderLabel("K1-0007-02", 20)}
    assert {fmt for fmt, _ in found} == {"Code128", "QRCode"}, "each label is printed both ways"


def test_a_long_routing_continues_on_more_pages(tmp_path: Path) -> None:
    many = {**WORK_ORDER, "operations": [{**WORK_ORDER["operations"][0], "number": n} for n in range(10, 130, 10)]}
    assert len(render(traveler_pdf(many), tmp_path)) >= 2


def test_a_work_order_without_operations_fields_is_refused() -> None:
    with pytest.raises(KeyError):
        traveler_pdf({"id": "X"})


# --- every work order the planner issues for the demo products -------------------------------------------------
DEMO_CATALOG = Path(__file__).resolve().parent.parent / "assets" / "catalog"
CONFIGURATIONS = 200
RENDERED_BY_DEFAULT = 4  # configurations whose travelers the default run renders; -m slow renders all 200


def page_images(pdf: bytes, scale: float = 2.0) -> list[np.ndarray]:
    """Each page as printed (on white), in memory: 144 dpi keeps a 0.42 mm bar at 2.4 px."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
    from PySide6.QtGui import QImage
    from PySide6.QtPdf import QPdfDocument

    data = QByteArray(pdf)  # held here: the buffer does not keep its bytes alive
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    assert document.status() == QPdfDocument.Status.Ready, document.error()
    pages = []
    for index in range(document.pageCount()):
        size = document.pagePointSize(index)
        image = document.render(index, QSize(int(size.width() * scale), int(size.height() * scale)))
        image = image.convertToFormat(QImage.Format.Format_ARGB32)
        rgba = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
        rgba = rgba[:, : image.width()]
        alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
        pages.append((rgba[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8))
    document.close()
    return pages


@pytest.fixture(scope="module")
def demo_orders(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """200 random valid configurations of the demo products, each ordered at a kiosk and planned by a hub."""
    from sync.catalog.store import CatalogStore
    from sync.demo import release_catalog
    from sync.hub.core import HubCore
    from sync.store import Store

    folder = tmp_path_factory.mktemp("demo-orders")
    released = release_catalog(DEMO_CATALOG, folder / "catalog.db")
    store = Store(folder / "hub.db", device_id="hub", kind="hub")
    core = HubCore(store, CatalogStore(folder / "catalog.db"))
    rng = random.Random(20261202)
    orders = []
    for index in range(CONFIGURATIONS):
        code = sorted(released)[index % len(released)]
        _, engine = core.product(code, released[code])
        configuration = random_configuration(engine, rng)
        number = f"K{index % 3 + 1}-{index + 1:04d}"  # three kiosks
        body = {"order_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "number": number, "product": code,
                "revision": released[code], "configuration": configuration, "quantity": rng.randint(1, 3),
                "price": "1", "customer": {"name": "Li Wei"}}
        with store.transaction() as tx:
            result = core.on_order_placed(tx, f"ev-{index}", f"kiosk-{index % 3 + 1}", body,
                                          datetime(2026, 11, 23, 8, tzinfo=UTC) + timedelta(minutes=index))
        assert result["number"] == number
        orders.append((code, configuration, result["work_orders"]))
    bodies = {r["id"]: json.loads(r["body"]) for r in store.query("SELECT id, body FROM work_orders")}
    store.close()
    return orders, bodies


def random_configuration(engine: Any, rng: random.Random) -> dict[str, str]:
    """A uniformly drawn choice per attribute, in random order, each among what the engine still allows."""
    session = engine.new_session()
    names = [v.name for v in engine.problem.variables]
    rng.shuffle(names)
    for name in names:
        session.choose(name, rng.choice(sorted(v for v, ok in session.domains()[name].items() if ok)))
    assert engine.is_valid(session.choices)
    return session.choices


def test_every_work_order_of_200_random_demo_orders_fits_the_label_syntax(demo_orders: Any) -> None:
    orders, bodies = demo_orders
    assert {code for code, _, _ in orders} == {"CARGO", "CITY", "MTB"}
    assert len({tuple(sorted(c.items())) for _, c, _ in orders}) > 100, "the draw covers many configurations"
    issued = [wo for _, _, wos in orders for wo in wos]
    assert len(issued) == len(set(issued)) == len(bodies), "no two work orders share a number"
    for wo in issued:
        for op in [None, *(o["number"] for o in bodies[wo]["operations"])]:
            label = WorkOrderLabel(wo, op)
            assert parse(format_label(label)) == label


def check_travelers(orders: list[Any], bodies: dict[str, Any]) -> int:
    """Render each traveler and read every label back with the station's decoder; how many travelers."""
    from terminal.decode.chain import DecodeChain

    chain = DecodeChain(formats=("Code128", "QRCode"))
    formats: set[str] = set()
    count = 0
    for _, _, work_orders in orders:
        for wo in work_orders:
            body = bodies[wo]
            found = {(code.format, code.text) for page in page_images(traveler_pdf(body)) for code in chain.decode(page)}
            formats |= {fmt for fmt, _ in found}
            expected = {WorkOrderLabel(wo)} | {WorkOrderLabel(wo, op["number"]) for op in body["operations"]}
            assert {parse(text) for _, text in found} == expected, f"traveler {wo}"
            count += 1
    assert formats == {"Code128", "QRCode"}
    return count


def test_the_travelers_of_random_demo_orders_render_and_decode(demo_orders: Any) -> None:
    orders, bodies = demo_orders
    assert check_travelers(orders[:RENDERED_BY_DEFAULT], bodies) >= RENDERED_BY_DEFAULT


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_the_travelers_of_all_200_random_demo_orders_render_and_decode(demo_orders: Any) -> None:
    orders, bodies = demo_orders
    assert check_travelers(orders, bodies) == len(bodies)


def test_each_label_cut_out_of_the_rendered_page_reads_alone_as_its_own_label(tmp_path: Path) -> None:
    """What the demo puts in front of a station camera: one picture per label, from the real PDF."""
    from terminal.decode.chain import DecodeChain
    from terminal.decode.pdf import read_labels, render_pdf, write_label_images
    from terminal.decode.sources import read_image

    printed = read_labels(render_pdf(traveler_pdf(WORK_ORDER)))
    assert [p.label for p in printed] == [WorkOrderLabel("K1-0007-02"), WorkOrderLabel("K1-0007-02", 10),
                                          WorkOrderLabel("K1-0007-02", 20)]
    paths = write_label_images(printed, tmp_path)
    assert [p.name for p in paths] == ["K1-0007-02.png", "K1-0007-02-0010.png", "K1-0007-02-0020.png"]
    chain = DecodeChain(formats=("Code128", "QRCode"))
    for path, item in zip(paths, printed, strict=True):
        assert {code.text for code in chain.decode(read_image(path))} == {item.text}


def test_a_file_that_is_not_a_pdf_is_refused_with_where_it_came_from() -> None:
    from sync.errors import DecodeError
    from terminal.decode.pdf import render_pdf

    with pytest.raises(DecodeError, match="traveler of K1-0007-02.*not a readable PDF"):
        render_pdf(b"<html>502 Bad Gateway</html>", where="traveler of K1-0007-02")


def test_a_whole_bikes_configuration_is_printed_in_full_on_the_traveler() -> None:
    """The header cut the configuration at 150 characters: the worker lost half a bike's options."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtPdf import QPdfDocument

    configuration = [[f"attribute_{n:02d}", f"option{n:02d}"] for n in range(25)]  # a City bike has 23
    data = QByteArray(traveler_pdf({**WORK_ORDER, "configuration": configuration}))
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    text = " ".join(document.getAllText(0).text().split())
    assert all(f"{k}={v}" in text for k, v in configuration), text
    document.close()


def _page_text(pdf: bytes) -> str:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtPdf import QPdfDocument

    data = QByteArray(pdf)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    text = document.getAllText(0).text()
    document.close()
    return text


def test_the_traveler_names_the_options_and_a_long_step_name_stays_clear_of_its_time() -> None:
    """Live demo: the header read ``battery=b750, brakes=hyd4 …`` and "press headset" ran into "ASSY 23 min
    standard" ("presSheadset"). The work order carries the catalog's names: the worker reads those."""
    body = {**WORK_ORDER, "product": "MTB", "quantity": 1,
            "configuration": [["battery", "b750"], ["motor", "mid85"], ["lights", "none"]],
            "product_names": {"en": "Electric mountain bike (e-MTB)", "zh_CN": "电动山地自行车"},
            "attribute_names": {"battery": {"en": "Battery", "zh_CN": "电池"}, "motor": {"en": "Motor"}},
            "option_names": {"battery": {"en": "750 Wh", "zh_CN": "750 瓦时"}, "motor": {"en": "Mid-drive, 85 Nm"}},
            "operations": [{"number": 10, "name": "Chase threads, face head tube, press headset", "work_centre": "ASSY",
                            "setup_minutes": 5, "run_minutes": 18}]}
    lines = [" ".join(line.split()) for line in _page_text(traveler_pdf(body)).splitlines()]
    assert "Order K1-0007 Product Electric mountain bike (e-MTB) (MTB) Quantity 1" in lines, lines
    assert "Battery: 750 Wh; Motor: Mid-drive, 85 Nm; lights=none" in lines, "a name missing: the code stays"
    assert "10 Chase threads, face head tube, press headset" in lines, lines
    assert "ASSY 23 min standard" in lines, lines


CITY_BODY = {**WORK_ORDER, "product": "CITY", "quantity": 1, "order_number": "K1-0007",
             "configuration": [["battery", "b500"], ["motor", "hub250r"], ["lights", "none"]],
             "product_names": {"en": "City e-bike", "zh_CN": "城市电动自行车"},
             "attribute_names": {"battery": {"en": "Battery", "zh_CN": "电池"}, "motor": {"en": "Motor", "zh_CN": "电机"}},
             "option_names": {"battery": {"en": "500 Wh", "zh_CN": "500 瓦时"},
                              "motor": {"en": "Rear hub, 250 W", "zh_CN": "后轮毂电机 250 瓦"}},
             "operations": [{"number": 10, "name": "Chase threads, press headset, fit decals", "work_centre": "ASSY",
                             "names": {"zh_CN": "攻丝、压碗组、贴花"}, "setup_minutes": 5, "run_minutes": 15},
                            {"number": 20, "name": "Powder coating (outsourced)", "work_centre": "COAT",
                             "names": {"zh_CN": "喷粉（外协）"}, "outsourced": True},
                            {"number": 30, "name": "Incoming coating inspection", "work_centre": "QC",
                             "setup_minutes": 0, "run_minutes": 6, "qc": True}]}


def test_a_chinese_traveler_reads_in_chinese_with_the_catalogs_names(tmp_path: Path) -> None:
    """The workshop reads Chinese: the station spoke it, the paper it carries did not. Every text in Chinese;
    a name the body lacks in Chinese falls back to English (op 30), one it lacks altogether to its code."""
    text = _page_text(traveler_pdf(CITY_BODY, "zh_CN"))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "工单 K1-0007-02" in lines, lines
    assert "订单 K1-0007 产品 城市电动自行车（CITY） 数量 1" in lines, lines
    assert "电池：500 瓦时；电机：后轮毂电机 250 瓦；lights=none" in lines, lines
    assert "10 攻丝、压碗组、贴花" in lines and "ASSY 标准工时 20 分钟" in lines, lines
    assert "COAT 标准工时 0 分钟 外协：零件送回时扫描此标签" in lines, lines
    assert "30 Incoming coating inspection" in lines and "QC 标准工时 6 分钟 质检工序" in lines, lines
    english = [" ".join(line.split()) for line in _page_text(traveler_pdf(CITY_BODY)).splitlines()]
    assert "Battery: 500 Wh; Motor: Rear hub, 250 W; lights=none" in english, english
    assert "10 Chase threads, press headset, fit decals" in english, english


def test_a_chinese_travelers_labels_read_back_with_the_station_decoder(tmp_path: Path, artifacts: Path) -> None:
    from terminal.decode.chain import DecodeChain

    pages = render(traveler_pdf(CITY_BODY, "zh_CN"), tmp_path)
    (artifacts / "traveler-zh-1.png").write_bytes(pages[0].read_bytes())
    chain = DecodeChain(formats=("Code128", "QRCode"))
    found = {parse(code.text) for page in pages for code in chain.decode(cv2.imread(str(page)))}
    assert found == {WorkOrderLabel("K1-0007-02"), *(WorkOrderLabel("K1-0007-02", n) for n in (10, 20, 30))}


def test_a_traveler_in_a_language_without_its_font_or_unknown_is_refused_with_the_fix(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sync.errors import PrintError
    from sync.hub import travelers

    with pytest.raises(PrintError, match="no traveler in language 'fr'"):
        traveler_pdf(CITY_BODY, "fr")
    monkeypatch.setattr(travelers, "CJK_FONTS", ("/nowhere/no-such-font.ttc",))
    with pytest.raises(PrintError) as refused:
        traveler_pdf(CITY_BODY, "zh_CN")
    assert "fonts-wqy-microhei" in refused.value.message and "lang=en" in refused.value.message
    assert _page_text(traveler_pdf(CITY_BODY, "en")).startswith("Work order")  # English still prints
