"""The demo catalog in assets/catalog checks clean and is as large as the issue asks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sync.catalog import Catalog, Product, load_catalog

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "assets" / "catalog"

pytestmark = pytest.mark.skipif(not (DEMO / "catalog.yaml").is_file(), reason="demo catalog not written yet")


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog(DEMO)


def bom_depth(product: Product) -> int:
    """Levels below the finished item, following every line whatever the options."""

    def depth(item: str) -> int:
        assembly = product.assemblies.get(item)
        return 0 if assembly is None else 1 + max((depth(line.item) for line in assembly.bom), default=0)

    return 1 + max((depth(line.item) for line in product.bom), default=0)


def test_check_command_on_demo_catalog_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "sync.catalog", "check", str(DEMO)], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "OK:" in result.stdout


def test_demo_catalog_has_the_size_the_issue_names(demo: Catalog) -> None:
    products = list(demo.products.values())
    assert len(products) >= 3
    assert sum(len(p.attributes) for p in products) >= 25
    assert sum(len(p.rules) for p in products) >= 60
    assert {r.kind for p in products for r in p.rules} == {"requires", "excludes", "table", "range"}
    assert len(demo.items) >= 150
    assert len(demo.work_centres) >= 6
    assert max(bom_depth(p) for p in products) >= 4


def test_demo_routings_cover_the_workshop_and_outsourced_coating(demo: Catalog) -> None:
    ops = [op for p in demo.products.values() for op in p.routing]
    ops += [op for a in demo.assemblies.values() for op in a.routing]
    assert any(op.outsourced and op.supplier for op in ops)
    assert any(op.qc for op in ops)
    assert all(op.work_centre in demo.work_centres for op in ops)
    used = {op.work_centre for op in ops}
    assert len(used) >= 6


def test_every_customer_facing_text_is_in_both_languages(demo: Catalog) -> None:
    for product in demo.products.values():
        for attribute in product.attributes:
            for option in attribute.options:
                assert option.label["en"] and option.label["zh_CN"], option.where


def test_every_demo_product_configures_completes_and_resolves(demo: Catalog) -> None:
    from sync.configurator.product import ProductConfigurator

    for product in demo.products.values():
        pc = ProductConfigurator(product)
        for attr, option in pc.complete().items():
            pc.choose(attr, option)
        assert pc.price().total >= product.base_price or any(line.delta < 0 for line in pc.price().lines)
        assert pc.bom() and pc.routing()
