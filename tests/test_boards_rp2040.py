"""rpi-pico firmware: the boot2 stage (CRC the RP2040 boot ROM checks), the vector table after it, the UF2
file, and the boot path boot ROM -> boot2 -> reset handler -> main executed under unicorn.

Truths used here are independent of the code under test: the CRC comes from zlib through bit reversal
and from the CRC catalogue's check value; the UF2 file is parsed by a reader written here from the format's
description; addresses come from the ELF (pyelftools)."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import need_tools
from elftools.elf.elffile import ELFFile

from mcucompile import api
from mcucompile.boards import get_board, rp2040_tool
from mcucompile.boards.firmware import render_firmware
from mcucompile.codegen.generate import compile_graph, render

FLASH = 0x10000000
SRAM, SRAM_END = 0x20000000, 0x20042000
BOOT2_RAM = SRAM_END - 256               # where the boot ROM copies the first 256 bytes of flash
RP2040_FAMILY = 0xE48BFF56


# ---- an independent CRC: CRC-32/MPEG-2 (poly 0x04c11db7, init 0xffffffff, no reflection, no xorout) ------

def _rev8(b: int) -> int:
    return int(f"{b:08b}"[::-1], 2)


def _rev32(v: int) -> int:
    return int(f"{v:032b}"[::-1], 2)


def crc_mpeg2(data: bytes) -> int:
    """zlib's CRC-32 is the reflected twin (refin/refout true, xorout 0xffffffff) of the same polynomial:
    feeding it bit-reversed bytes and reversing and un-xoring its result gives the unreflected CRC."""
    return _rev32(zlib.crc32(bytes(_rev8(b) for b in data)) ^ 0xFFFFFFFF)


def test_independent_crc_is_the_catalogued_crc32_mpeg2():
    assert crc_mpeg2(b"123456789") == 0x0376E6E7        # check value of CRC-32/MPEG-2 in the CRC catalogue
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 252):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert rp2040_tool.crc32_rp2040(data) == crc_mpeg2(data)


# ---- the built project ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pico(shared_models, tmp_path_factory):
    need_tools("arm-none-eabi-gcc", "make")
    out = tmp_path_factory.mktemp("pico") / "fw"
    c = api.compile_model(shared_models / "hello_world_int8.tflite", out, board="rpi-pico")
    p = subprocess.run(["make", "-C", str(out)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    name = c.graph.name
    return {"dir": out, "log": p.stdout + p.stderr, "elf": out / f"{name}.elf",
            "bin": (out / f"{name}.bin").read_bytes(), "uf2": (out / f"{name}.uf2").read_bytes()}


def _elf(path: Path):
    f = ELFFile(open(path, "rb"))
    syms = {s.name: s["st_value"] for s in f.get_section_by_name(".symtab").iter_symbols() if s.name}
    return f, syms


def test_build_is_warning_free_and_runs_the_build_steps(pico):
    log = pico["log"]
    assert "warning:" not in log.lower(), log
    assert "fw_rp2040.py boot2" in log and "fw_rp2040.py check" in log and "fw_rp2040.py uf2" in log
    assert "-mcpu=cortex-m0plus" in log


def test_boot2_block_is_256_bytes_at_flash_start_with_the_boot_rom_crc(pico):
    f, syms = _elf(pico["elf"])
    sec = f.get_section_by_name(".boot2")
    assert sec is not None and sec["sh_addr"] == FLASH and sec["sh_size"] == 256
    block = sec.data()
    image = pico["bin"]
    assert image[:256] == block                     # the .bin starts at 0x10000000 with the block
    stored = struct.unpack("<I", block[252:256])[0]
    assert stored == crc_mpeg2(block[:252])
    # a corrupted block would be refused by the boot ROM: the check tool sees it too
    bad = bytearray(image)
    bad[10] ^= 1
    assert any("checksum" in p for p in rp2040_tool.check_image(bytes(bad)))
    assert rp2040_tool.check_image(image) == []
    # the code in the block: thumb code that writes the SSI and VTOR (its literal pool holds the addresses)
    words = set(struct.unpack("<63I", block[:252]))
    assert {0x18000000, 0xE000ED08, FLASH + 0x100} <= words


def test_vector_table_follows_boot2_and_points_into_flash(pico):
    f, syms = _elf(pico["elf"])
    assert syms["fw_vectors"] == FLASH + 0x100
    image = pico["bin"]
    vec = struct.unpack_from("<16I", image, 0x100)
    flash_end = FLASH + len(image)
    assert vec[0] == syms["_estack"] and SRAM < vec[0] <= SRAM_END and vec[0] % 8 == 0
    assert vec[1] == syms["Reset_Handler"] | 1
    for i, v in enumerate(vec[1:], start=1):
        if v:
            assert v & 1 and FLASH + 0x100 < (v & ~1) < flash_end, f"vector {i}: 0x{v:08x}"


def _parse_uf2(data: bytes):
    """A reader written from the UF2 description: 512-byte blocks; 32-byte header of eight little-endian
    words (magic0, magic1, flags, target address, payload size, block number, block count, family/size),
    476 data bytes, a final magic word."""
    assert len(data) % 512 == 0
    blocks = []
    for off in range(0, len(data), 512):
        blk = data[off:off + 512]
        m0, m1, flags, addr, size, no, count, family = struct.unpack_from("<8I", blk, 0)
        (m_end,) = struct.unpack_from("<I", blk, 508)
        assert (m0, m1, m_end) == (0x0A324655, 0x9E5D5157, 0x0AB16F30)
        assert blk[:4] == b"UF2\n"
        blocks.append({"flags": flags, "addr": addr, "size": size, "no": no, "count": count,
                       "family": family, "payload": blk[32:32 + size], "rest": blk[32 + size:508]})
    return blocks


def test_uf2_parses_back_into_the_bin(pico):
    image, blocks = pico["bin"], _parse_uf2(pico["uf2"])
    assert len(blocks) == -(-len(image) // 256)
    payload = b""
    for i, b in enumerate(blocks):
        assert b["flags"] & 0x2000 and b["family"] == RP2040_FAMILY
        assert b["size"] == 256 and b["addr"] == FLASH + 256 * i
        assert b["no"] == i and b["count"] == len(blocks)
        assert b["rest"] == bytes(len(b["rest"]))
        payload += b["payload"]
    assert payload[:len(image)] == image and payload[len(image):] == bytes(len(payload) - len(image))


def test_cmake_build_makes_the_same_boot2_and_a_valid_uf2(pico, tmp_path):
    if shutil.which("cmake") is None:
        pytest.fail("cmake is not installed (Debian package cmake)")
    d, b = pico["dir"], tmp_path / "cb"
    for cmd in (["cmake", "-S", str(d), "-B", str(b)], ["cmake", "--build", str(b)]):
        p = subprocess.run(cmd, capture_output=True, text=True)
        assert p.returncode == 0 and "warning:" not in (p.stdout + p.stderr).lower(), p.stdout + p.stderr
    image = (b / "hello_world_int8.bin").read_bytes()
    assert image[:256] == pico["bin"][:256] and rp2040_tool.check_image(image) == []
    blocks = _parse_uf2((b / "hello_world_int8.uf2").read_bytes())
    assert b"".join(x["payload"] for x in blocks)[:len(image)] == image


def test_flash_dry_run_names_the_pyocd_and_the_uf2_route(pico):
    from mcucompile.flash import plan
    d = pico["dir"]
    lines = plan(d, "rpi-pico", probe="E6614103").shell()
    assert lines[0] == f"make -C {d}"
    assert lines[1] == f"pyocd load --target rp2040 --uid E6614103 {d}/hello_world_int8.elf"
    assert lines[2].startswith("# ") and "BOOTSEL" in lines[2] and f"{d}/hello_world_int8.uf2" in lines[2]
    from mcucompile.cli import main
    r = CliRunner().invoke(main, ["flash", str(d), "--board", "rpi-pico", "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "pyocd load --target rp2040" in r.output and "hello_world_int8.uf2" in r.output


def test_other_boards_carry_no_boot2(shared_models):
    g = api.load(shared_models / "hello_world_int8.tflite")
    c = compile_graph(g)
    render(c)
    x = api.random_inputs(g, 1)
    files = render_firmware(c, get_board("nucleo-f767zi"), x)
    assert "fw_boot2.S" not in files and "fw_rp2040.py" not in files and ".boot2" not in files[
        "fw_nucleo_f767zi.ld"]
    pico = render_firmware(c, get_board("rpi-pico"), x)
    ld = pico["fw_rpi_pico.ld"]
    assert re.search(r"BOOT2 \(rx\)\s*: ORIGIN = 0x10000000, LENGTH = 0x100", ld)
    assert re.search(r"FLASH \(rx\)\s*: ORIGIN = 0x10000100", ld)


# ---- the boot path under unicorn ------------------------------------------------------------------------

class FakeSSI:
    """The XIP SSI as far as boot2 uses it: registers written only while disabled, and flash reads through
    the XIP window refused until the SSI is enabled for standard 03h reads (command 8 bits, address 24 bits,
    32-bit frames, EEPROM-read transfer mode)."""
    BASE = 0x18000000

    def __init__(self):
        self.regs = {0x08: 1}                # the boot ROM leaves the SSI enabled
        self.errors: list[str] = []

    def write(self, off: int, value: int):
        if off != 0x08 and self.regs.get(0x08, 0):
            self.errors.append(f"SSI register 0x{off:02x} written while enabled")
        self.regs[off] = value

    def xip_ready(self) -> bool:
        r = self.regs
        ctrlr0, spi = r.get(0x00, 0), r.get(0xF4, 0x03000000)
        return (r.get(0x08) == 1 and (ctrlr0 >> 8) & 3 == 3 and (ctrlr0 >> 16) & 31 == 31
                and (ctrlr0 >> 21) & 3 == 0 and r.get(0x04, 0) == 0 and spi >> 24 == 0x03
                and (spi >> 8) & 3 == 2 and (spi >> 2) & 15 == 6 and spi & 3 == 0
                and r.get(0x14, 0) >= 2 and r.get(0x14, 0) % 2 == 0)


def _boot(pico, lr: int, stop: int):
    import unicorn
    from unicorn import arm_const as A
    image = pico["bin"]
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M0)
    uc.mem_map(FLASH, 0x200000)
    uc.mem_write(FLASH, image)
    uc.mem_map(SRAM, 0x42000)
    uc.mem_write(BOOT2_RAM, image[:256])          # what the boot ROM did after checking the CRC
    uc.mem_map(FakeSSI.BASE, 0x1000)
    uc.mem_map(0xE000E000, 0x1000)               # system control space (VTOR)
    ssi, vtor, trace = FakeSSI(), [], []

    def on_write(uc, access, addr, size, value, user):
        if FakeSSI.BASE <= addr < FakeSSI.BASE + 0x1000:
            ssi.write(addr - FakeSSI.BASE, value)
        elif addr == 0xE000ED08:
            vtor.append(value)

    def on_read(uc, access, addr, size, value, user):
        if FLASH <= addr < FLASH + 0x200000 and not ssi.xip_ready():
            ssi.errors.append(f"flash read at 0x{addr:08x} before the SSI was set up for XIP")
            uc.emu_stop()

    def on_code(uc, addr, size, user):
        if FLASH <= addr < FLASH + 0x200000 and not ssi.xip_ready():
            ssi.errors.append(f"instruction fetch at 0x{addr:08x} before the SSI was set up for XIP")
            uc.emu_stop()
        trace.append(addr)

    uc.hook_add(unicorn.UC_HOOK_MEM_WRITE, on_write)
    uc.hook_add(unicorn.UC_HOOK_MEM_READ, on_read)
    uc.hook_add(unicorn.UC_HOOK_CODE, on_code)
    uc.reg_write(A.UC_ARM_REG_SP, SRAM_END)
    uc.reg_write(A.UC_ARM_REG_LR, lr)
    uc.emu_start(BOOT2_RAM | 1, stop, count=200_000)
    return uc, ssi, vtor, trace


@pytest.fixture(scope="module")
def unicorn_available():
    try:
        import unicorn  # noqa: F401
    except ImportError:
        pytest.fail("the unicorn emulator is not installed: pip install unicorn (in the [dev] extra)")


def test_boot2_then_reset_handler_reach_main(pico, unicorn_available):
    from unicorn import arm_const as A
    f, syms = _elf(pico["elf"])
    main = syms["main"] & ~1
    uc, ssi, vtor, trace = _boot(pico, lr=0, stop=main)
    assert ssi.errors == []
    assert uc.reg_read(A.UC_ARM_REG_PC) == main, "did not reach main"
    assert vtor == [FLASH + 0x100]
    assert ssi.xip_ready()
    # boot2 ran from SRAM, then the reset handler from flash with the stack from the vector table
    assert all(BOOT2_RAM <= a < SRAM_END for a in trace[:10])
    assert (syms["Reset_Handler"] & ~1) in trace
    assert uc.reg_read(A.UC_ARM_REG_MSP) <= syms["_estack"]


def test_boot2_called_with_a_return_address_returns(pico, unicorn_available):
    from unicorn import arm_const as A
    back = 0x20000100                                # a caller in SRAM
    uc, ssi, vtor, trace = _boot(pico, lr=back | 1, stop=back)
    assert ssi.errors == [] and ssi.xip_ready()
    assert uc.reg_read(A.UC_ARM_REG_PC) == back and vtor == []
