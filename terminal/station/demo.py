"""DEMO FIXTURE: work orders and a roster seeded locally so a terminal can be shown before a hub
releases anything. Everything seeded here is marked ``demo=True``; a real hub's work orders replace it.

``python -m terminal.station.demo OUT`` writes camera frames of the demo badge and labels, for
``python -m terminal --source folder:OUT``.
"""

from __future__ import annotations

from pathlib import Path

from sync.station.ledger import StationLedger, pin_hash
from sync.station.workorders import Material, RoutedOperation, RoutedWorkOrder, Worker

DEMO_WORK_CENTRES = frozenset({"ASSY"})

DEMO_WORKERS = (
    Worker("E-0042", "Li Wei", pin_hash("E-0042", "4242")),
    Worker("E-0007", "Anna Berg", pin_hash("E-0007", "0707")),
    Worker("S-0001", "Zhang Min", pin_hash("S-0001", "9999"), supervisor=True),
)


def demo_work_orders() -> list[RoutedWorkOrder]:
    def ops(first_at_assembly: bool) -> tuple[RoutedOperation, ...]:
        return (
            RoutedOperation(10, "Frame prep", "ASSY" if first_at_assembly else "WELD", 5, 2,
                            sop="sop/frame-prep.md", names={"zh_CN": "车架准备"}),
            RoutedOperation(20, "Drive unit & battery", "ASSY", 10, 6, sop="sop/final-assembly.md",
                            predecessor=10, names={"zh_CN": "驱动单元与电池"}),
            RoutedOperation(30, "Final QC", "ASSY", 2, 3, qc=True, sop="sop/final-inspection.md", predecessor=20,
                            names={"zh_CN": "终检"}),
        )

    config = (("Frame", "Trekking 52 cm"), ("Motor", "Mid-drive 85 Nm"), ("Battery", "625 Wh"),
              ("Colour", "Signal red"))
    materials = (Material("FR-TRK-52", "Trekking frame 52 cm", 1, names={"zh_CN": "旅行车架 52 cm"}),
                 Material("MD-85", "Mid-drive unit 85 Nm", 1, names={"zh_CN": "中置电机 85 Nm"}),
                 Material("BAT-625", "Battery 625 Wh", 1, names={"zh_CN": "电池 625 Wh"}),
                 Material("SCR-M5", "Screw M5×12", 8, names={"zh_CN": "螺钉 M5×12"}))
    return [
        RoutedWorkOrder("WO-1001", "E-bike Trekking", 2, ops(True), config, materials, order_id="ORD-501", demo=True,
                        product_names={"zh_CN": "旅行电助力车"}),
        RoutedWorkOrder("WO-1002", "E-bike City", 1, ops(False), (("Frame", "City 48 cm"), ("Battery", "500 Wh")),
                        materials[2:], order_id="ORD-502", demo=True, product_names={"zh_CN": "城市电助力车"}),
    ]


def seed_demo_roster(ledger: StationLedger) -> None:
    """Put the demo roster into ``ledger`` (idempotent; workers already there are kept as they are)."""
    known = {w.badge for w in ledger.workers()}
    for worker in DEMO_WORKERS:
        if worker.badge not in known:
            ledger.put_worker(worker)


def seed_demo(ledger: StationLedger) -> None:
    """Put the demo roster and work orders into ``ledger`` (idempotent; real ones are never overwritten)."""
    seed_demo_roster(ledger)
    for wo in demo_work_orders():
        existing = ledger.work_order(wo.id)
        if existing is None:
            ledger.put_work_order(wo)


def write_demo_frames(folder: Path) -> list[Path]:
    """Camera frames for ``--source folder:FOLDER``: a badge, then each demo operation label, with
    empty frames between them (so the same label shown twice counts twice)."""
    import cv2

    from sync import labels
    from terminal.station.label_images import bench, label_frame

    folder.mkdir(parents=True, exist_ok=True)
    texts = [(labels.format(labels.BadgeLabel(DEMO_WORKERS[0].badge)), "QRCode")]
    for wo in demo_work_orders():
        for op in wo.operations:
            if op.work_centre in DEMO_WORK_CENTRES:
                texts.append((labels.format(labels.WorkOrderLabel(wo.id, op.number)), "Code128"))
    written = []
    for i, (text, fmt) in enumerate(texts):
        for image, name in ((label_frame(text, fmt, i), f"{2 * i:03d}-label.png"), (bench(i), f"{2 * i + 1:03d}-empty.png")):
            path = folder / name
            cv2.imwrite(str(path), image)
            written.append(path)
    return written


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        print("usage: python -m terminal.station.demo OUT_FOLDER   (camera frames of the demo labels)")
        raise SystemExit(2)
    for path in write_demo_frames(Path(sys.argv[1])):
        print(path)
