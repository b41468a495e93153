"""Caller utterances for the STT benchmark: what real-estate callers say, in voices unlike the agent's.

Offline and bounded: the texts come from a seeded generator, the audio from espeak-ng (Debian
package) and, for the tuning set only, Piper's joe voice (the agent's own, so never held out).
Voices are split once into a TUNING set (prompts and decoding options were chosen on it) and a
HELD_OUT set that nothing was tuned on; the figures in docs/performance.md are the held-out ones.
Half of the voices are band-limited to a telephone line (300-3400 Hz, 8 kHz) with light noise.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from gateway.media.pcm import IN_RATE, Pcm

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Voice:
    name: str
    engine: str  # espeak | piper
    voice: str = ""  # espeak-ng voice+variant
    speed: int = 160  # espeak words per minute
    pitch: int = 50
    telephone: bool = False  # band-limited to 300-3400 Hz at 8 kHz, light noise


TUNING = (
    Voice("us-m1", "espeak", "en-us+m1", 165, 45),
    Voice("gb-f2", "espeak", "en-gb+f2", 155, 60, telephone=True),
    Voice("caribbean-m3", "espeak", "en-029+m3", 150, 40),
    Voice("piper-joe", "piper", telephone=True),
)
HELD_OUT = (
    Voice("nyc-f4", "espeak", "en-us-nyc+f4", 170, 65),
    Voice("scotland-m4", "espeak", "en-gb-scotland+m4", 150, 35, telephone=True),
    Voice("rp-f1", "espeak", "en-gb-x-rp+f1", 160, 55),
    Voice("midlands-m7", "espeak", "en-gb-x-gbcwmd+m7", 175, 45, telephone=True),
    Voice("lancaster-f5", "espeak", "en-gb-x-gbclan+f5", 145, 70, telephone=True),
    Voice("us-m2-fast", "espeak", "en-us+m2", 190, 50),
)


@dataclass(frozen=True)
class Utterance:
    id: str
    category: str  # phone | city | beds | price | time | name | spelled | email
    said: str  # what the voice speaks
    reference: str  # what a perfect transcript says (compared after canonical())
    slot: str | None  # the slot an agent asks for when this is the answer
    digits: str = ""  # phone: the number's 10 digits
    letters: str = ""  # spelled / email: the string spelled out


WORD = dict(zip("0123456789", "zero one two three four five six seven eight nine".split(), strict=True))
AREA_CODES = ("512", "214", "713", "210", "303", "602", "520", "206", "503", "619", "916", "702", "801", "305", "813",
              "407", "404", "704", "919", "615", "312", "612", "614", "617", "215", "800", "888", "900")  # fmt: skip
TENS = {"2": "twenty", "3": "thirty", "4": "forty", "5": "fifty", "6": "sixty", "7": "seventy", "8": "eighty",
        "9": "ninety"}  # fmt: skip
TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
LEADS = ("", "my number is ", "you can reach me at ", "it's ", "call me on ", "the best number is ",
         "sure, it's ", "my cell is ")  # fmt: skip
FIRST = ("Maria", "James", "Priya", "Kevin", "Aisha", "Tom", "Linda", "Carlos", "Mei", "Omar", "Grace", "Daniel")
LAST = ("Lopez", "Smith", "Patel", "Nguyen", "Johnson", "Garcia", "Okafor", "Kim", "Brown", "Rossi", "Cohen", "Wright")
DOMAINS = ("gmail", "yahoo", "outlook", "hotmail", "icloud")


def cities() -> list[str]:
    config = yaml.safe_load((ROOT / "agents" / "real_estate.yaml").read_text())
    return list(config["cities"])


def _phone_digits(rng: random.Random) -> str:
    area = rng.choice(AREA_CODES)
    exchange = rng.choice(["555", "555", "550", "221", "300", "477", "909", str(rng.randint(201, 989))])
    line = rng.choice(["0134", "0100", "1212", "5500", "2000", "7788", "0199", f"{rng.randint(0, 9999):04d}"])
    return area + exchange + line


def _group_words(group: str, rng: random.Random, *, style: str) -> str:
    """A group of digits as a caller says it: one by one, with oh, doubles/triples, or as a number."""
    if style == "number" and len(group) == 3 and group[1:] == "00" and group[0] != "0":
        return f"{WORD[group[0]]} hundred"
    if style == "number" and len(group) == 3 and group[0] != "0" and group[1] != "0":
        return f"{WORD[group[0]]} {_two(group[1:])}"
    if style == "number" and len(group) == 4 and group[0] != "0" and group[2] != "0":
        return f"{_two(group[:2])} {_two(group[2:])}"
    if style == "number" and len(group) == 4 and group[1:] == "000" and group[0] != "0":
        return f"{WORD[group[0]]} thousand"
    if style == "number" and len(group) == 4 and group[2:] == "00" and group[:2] != "00" and group[0] != "0":
        return f"{_two(group[:2])} hundred"
    words: list[str] = []
    i = 0
    while i < len(group):
        d = group[i]
        run = len(group[i:]) - len(group[i:].lstrip(d))
        name = "oh" if d == "0" and style in {"oh", "repeat"} else WORD[d]
        if style == "repeat" and run >= 3:
            words.append(f"triple {name}")
            i += 3
        elif style == "repeat" and run == 2:
            words.append(f"double {name}")
            i += 2
        else:
            words.append(name)
            i += 1
    return " ".join(words)


def _two(pair: str) -> str:
    if pair[0] == "1":
        return TEENS[int(pair[1])]
    if pair[1] == "0":
        return TENS[pair[0]]
    return f"{TENS[pair[0]]} {WORD[pair[1]]}"


def phone_utterance(uid: str, rng: random.Random) -> Utterance:
    digits = _phone_digits(rng)
    style = rng.choice(["plain", "oh", "repeat", "repeat", "number", "mixed"])
    groups = (digits[:3], digits[3:6], digits[6:])
    styles = [rng.choice(["plain", "oh", "repeat", "number"]) for _ in groups] if style == "mixed" else [style] * 3
    said = ", ".join(_group_words(g, rng, style=s) for g, s in zip(groups, styles, strict=True))
    lead = rng.choice(LEADS)
    return Utterance(uid, "phone", f"{lead}{said}.", f"{lead}{said}", "phone", digits=digits)


def other_utterances(prefix: str, rng: random.Random, count: int) -> list[Utterance]:
    city_names = cities()
    kinds = ["city", "beds", "price", "time", "name", "spelled", "email"]
    out: list[Utterance] = []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        uid = f"{prefix}-{kind}-{n}"
        if kind == "city":
            city = rng.choice(city_names)
            what = rng.choice(["a condo in", "a house in", "something in", "a townhouse near", "a condo in"])
            text = f"I'm looking for {what} {city}"
            out.append(Utterance(uid, kind, text + ".", text, "city"))
        elif kind == "beds":
            beds = rng.choice(["two", "three", "four", "five"])
            text = rng.choice(
                [f"{beds} bedrooms", f"at least {beds} bedrooms and two baths", f"we need {beds} bedrooms"]
            )
            out.append(Utterance(uid, kind, text + ".", text, "city"))
        elif kind == "price":
            amount = rng.choice(["six hundred thousand", "four hundred fifty thousand", "three hundred thousand",
                                 "seven hundred fifty thousand", "one point two million"])  # fmt: skip
            text = rng.choice([f"around {amount}", f"under {amount} dollars", f"somewhere around {amount}"])
            out.append(Utterance(uid, kind, text + ".", text, "city"))
        elif kind == "time":
            text = rng.choice(["Saturday morning around ten", "half past three on Friday", "next Tuesday at two thirty",
                               "Thursday afternoon after three", "Sunday at noon", "Monday at quarter past eleven",
                               "tomorrow at four in the afternoon"])  # fmt: skip
            out.append(Utterance(uid, kind, text + ".", text, "time"))
        elif kind == "name":
            text = f"my name is {rng.choice(FIRST)} {rng.choice(LAST)}"
            out.append(Utterance(uid, kind, text + ".", text, "name"))
        elif kind == "spelled":
            last = rng.choice(LAST)
            letters = " ".join(last.upper())
            text = f"that's {letters}"
            out.append(Utterance(uid, kind, f"that's, {', '.join(last.upper())}.", text, "name", letters=last.lower()))
        else:
            first, last, domain = rng.choice(FIRST).lower(), rng.choice(LAST).lower(), rng.choice(DOMAINS)
            text = f"it's {first} dot {last} at {domain} dot com"
            out.append(Utterance(uid, kind, text + ".", text, "email", letters=f"{first}.{last}@{domain}.com"))
    return out


def utterances(voice: Voice, *, phones: int, others: int, seed: int) -> list[Utterance]:
    rng = random.Random(f"{seed}:{voice.name}")
    said = [phone_utterance(f"{voice.name}-phone-{n}", rng) for n in range(phones)]
    return said + other_utterances(voice.name, rng, others)


def synthesize(voice: Voice, text: str, *, seed: int) -> Pcm:
    """16 kHz mono int16 speech for `text` in `voice` (with 0.3 s of silence either side)."""
    if voice.engine == "piper":
        pcm = _piper(text)
    else:
        pcm = _espeak(voice, text)
    if voice.telephone:
        pcm = _telephone(pcm, seed=seed)
    pad = np.zeros(int(0.3 * IN_RATE), dtype=np.int16)
    return np.concatenate([pad, pcm, pad])


def _espeak(voice: Voice, text: str) -> Pcm:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        cmd = [espeak, "-v", voice.voice, "-s", str(voice.speed), "-p", str(voice.pitch), "-w", str(raw), text]
        subprocess.run(cmd, check=True, timeout=30)
        return _resampled(raw)


def _resampled(path: Path) -> Pcm:
    sox = shutil.which("sox")
    if sox is None:
        raise RuntimeError("sox is not installed (apt-get install sox)")
    out = path.with_name("16k.wav")
    subprocess.run([sox, str(path), "-r", str(IN_RATE), "-c", "1", "-b", "16", str(out)], check=True, timeout=30)
    with wave.open(str(out)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).copy()


def _piper(text: str) -> Pcm:
    from gateway.media.pcm import resample
    from gateway.providers.tts.piper_local import _voice, voice_path

    chunks = list(_voice(voice_path()).synthesize(text))
    pcm = np.frombuffer(b"".join(c.audio_int16_bytes for c in chunks), dtype=np.int16)
    return resample(pcm, chunks[0].sample_rate, IN_RATE)


def _telephone(pcm: Pcm, *, seed: int) -> Pcm:
    """Through a phone line: 300-3400 Hz at 8 kHz and back, plus noise about 30 dB under the speech."""
    sox = shutil.which("sox")
    if sox is None:
        raise RuntimeError("sox is not installed (apt-get install sox)")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        with wave.open(str(src), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(IN_RATE)
            w.writeframes(pcm.tobytes())
        subprocess.run([sox, str(src), str(dst), "sinc", "300-3400", "rate", "8000", "rate", str(IN_RATE)],
                       check=True, timeout=30)  # fmt: skip
        with wave.open(str(dst)) as w:
            line = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32)
    rms = float(np.sqrt(np.mean(line**2))) if len(line) else 0.0
    noise = np.random.default_rng(seed).normal(0.0, rms / 31.6, len(line))
    return np.clip(line + noise, -32768, 32767).astype(np.int16)
