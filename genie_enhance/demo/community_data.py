"""The `community` schema of the demo warehouse: a chat community's channels, members, messages and reactions.

As in `commerce_data`, names are warehouse-style (`chan_nm`, `usr_handle`, `created_ts`, `rxn_emoji`), messages
have two timestamps (posted, edited), reactions have their own timestamp, and member handles are stored in
CamelCase ('ByteBaker') while people type them in lower case — so entity matching and descriptions matter.
Activity is heavy-tailed (a few channels and members dominate), which keeps top-N answers free of ties.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from genie_enhance.demo.commerce_data import FIRST_NAMES, LAST_NAMES
from genie_enhance.demo.sampling import (
    SECONDS_PER_DAY,
    day_range,
    day_weights,
    sample_days_after,
    seconds_into_day,
    to_timestamps,
    unique_combinations,
)

MESSAGES_START = date(2024, 1, 1)
MESSAGES_END = date(2025, 6, 30)  # the demo's fixed reference date
JOIN_START = date(2022, 3, 1)
JOIN_END = date(2025, 6, 20)

N_MEMBERS = 2_500
N_MESSAGES = 60_000
N_REACTIONS = 70_000

SCHEMA: dict[str, dict[str, str]] = {
    "channels": {
        "chan_id": "INTEGER", "chan_nm": "VARCHAR", "chan_type_cd": "VARCHAR", "opened_dt": "DATE",
        "archived_flg": "BOOLEAN",
    },
    "members": {
        "mbr_id": "INTEGER", "usr_handle": "VARCHAR", "display_nm": "VARCHAR", "role_cd": "VARCHAR",
        "ctry_cd": "VARCHAR", "joined_dt": "DATE", "last_seen_ts": "TIMESTAMP",
    },
    "messages": {
        "msg_id": "BIGINT", "chan_id": "INTEGER", "mbr_id": "INTEGER", "created_ts": "TIMESTAMP",
        "edited_ts": "TIMESTAMP", "body_len": "INTEGER", "parent_msg_id": "BIGINT",
    },
    "reactions": {
        "rxn_id": "BIGINT", "msg_id": "BIGINT", "mbr_id": "INTEGER", "rxn_emoji": "VARCHAR", "rxn_ts": "TIMESTAMP",
    },
}

CHANNELS = [  # stored name, type, share of messages, reactions per message factor, opened, archived
    ("general", "PUB", 0.180, 1.0, date(2022, 3, 1), False),
    ("help-desk", "PUB", 0.120, 0.7, date(2022, 3, 1), False),
    ("random", "PUB", 0.090, 1.3, date(2022, 3, 1), False),
    ("dev-python", "PUB", 0.080, 0.9, date(2022, 4, 12), False),
    ("show-and-tell", "PUB", 0.063, 2.4, date(2022, 5, 2), False),
    ("data-science", "PUB", 0.057, 0.9, date(2022, 6, 20), False),
    ("introductions", "PUB", 0.050, 1.8, date(2022, 3, 1), False),
    ("dev-javascript", "PUB", 0.046, 0.8, date(2022, 4, 12), False),
    ("machine-learning", "PUB", 0.042, 1.0, date(2022, 9, 5), False),
    ("off-topic", "PUB", 0.038, 1.2, date(2022, 3, 15), False),
    ("jobs", "PUB", 0.033, 0.6, date(2022, 7, 1), False),
    ("devops", "PUB", 0.029, 0.8, date(2022, 10, 10), False),
    ("feedback", "PUB", 0.025, 0.9, date(2022, 3, 1), False),
    ("announcements", "ANN", 0.021, 6.0, date(2022, 3, 1), False),
    ("events", "ANN", 0.018, 2.0, date(2022, 8, 8), False),
    ("design", "PUB", 0.016, 1.1, date(2023, 1, 16), False),
    ("security", "PUB", 0.014, 0.8, date(2023, 2, 6), False),
    ("mobile", "PUB", 0.0125, 0.8, date(2023, 3, 13), False),
    ("memes", "PUB", 0.0110, 3.0, date(2023, 4, 1), True),
    ("dev-rust", "PUB", 0.0100, 0.9, date(2023, 5, 22), False),
    ("gaming", "PUB", 0.0088, 1.1, date(2023, 6, 30), True),
    ("music", "PUB", 0.0072, 1.0, date(2023, 7, 14), False),
    ("books", "PUB", 0.0058, 1.0, date(2023, 9, 1), False),
    ("mod-team", "PRV", 0.0040, 0.5, date(2022, 3, 1), False),
]
ROLES = {"ADM": 0.002, "MOD": 0.012, "MBR": 0.986}
COUNTRIES = {"US": 0.30, "IN": 0.14, "DE": 0.09, "GB": 0.08, "KR": 0.08, "BR": 0.07, "JP": 0.06, "FR": 0.06,
             "CA": 0.06, "NG": 0.06}
EMOJIS = {"thumbsup": 0.27, "heart": 0.18, "joy": 0.125, "tada": 0.10, "eyes": 0.08, "rocket": 0.07, "pray": 0.06,
          "fire": 0.05, "thinking": 0.04, "100": 0.025}

HANDLE_ADJECTIVES = ["Quiet", "Byte", "Lazy", "Swift", "Cosmic", "Pixel", "Rusty", "Sunny", "Misty", "Brave",
                     "Clever", "Silent", "Lucky", "Fuzzy", "Golden", "Hidden", "Jolly", "Mighty", "Nimble", "Polar",
                     "Quantum", "Rapid", "Solar", "Tiny", "Urban", "Vivid", "Wild", "Zen", "Amber", "Binary", "Crimson",
                     "Dusty", "Electric", "Frosty", "Gentle", "Hyper", "Icy", "Jade", "Kind", "Lunar", "Magic", "Neon",
                     "Odd", "Proud", "Retro", "Stellar", "Turbo", "Ultra", "Velvet", "Witty"]
HANDLE_NOUNS = ["Falcon", "Baker", "Otter", "Coder", "Panda", "Wizard", "Fox", "Tiger", "Koala", "Ninja", "Pilot",
                "Raven", "Sparrow", "Whale", "Yak", "Badger", "Comet", "Dragon", "Eagle", "Ferret", "Gecko", "Hawk",
                "Iguana", "Jaguar", "Kraken", "Lynx", "Moose", "Narwhal", "Owl", "Penguin", "Quokka", "Robin",
                "Shark", "Toucan", "Unicorn", "Viper", "Walrus", "Zebra", "Bison", "Cobra", "Dolphin", "Finch",
                "Gopher", "Heron", "Ibis", "Jackal", "Kiwi", "Lemur", "Mantis", "Newt", "Orca", "Puffin", "Rhino",
                "Salmon", "Turtle", "Vulture", "Wombat", "Beetle", "Crane", "Duck"]


def _pick(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(table))
    p = np.array(list(table.values()))
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _channels() -> pd.DataFrame:
    return pd.DataFrame({
        "chan_id": np.arange(11, 11 + len(CHANNELS)),
        "chan_nm": [c[0] for c in CHANNELS],
        "chan_type_cd": [c[1] for c in CHANNELS],
        "opened_dt": np.array([c[4] for c in CHANNELS], dtype="datetime64[D]"),
        "archived_flg": [c[5] for c in CHANNELS],
    })


def _members(rng: np.random.Generator) -> pd.DataFrame:
    days = day_range(JOIN_START, JOIN_END)
    joined = sample_days_after(rng, days, day_weights(days, growth=2.0, weekend=1.2, peak_months={9: 1.3}),
                               np.full(N_MEMBERS, days[0]))
    return pd.DataFrame({
        "mbr_id": np.arange(70_001, 70_001 + N_MEMBERS),
        "usr_handle": unique_combinations(rng, HANDLE_ADJECTIVES, HANDLE_NOUNS, N_MEMBERS, ""),
        "display_nm": [f"{a} {b}" for a, b in zip(rng.choice(FIRST_NAMES, N_MEMBERS), rng.choice(LAST_NAMES, N_MEMBERS))],
        "role_cd": _pick(rng, ROLES, N_MEMBERS),
        "ctry_cd": _pick(rng, COUNTRIES, N_MEMBERS),
        "joined_dt": joined,
    })


def _reply_parents(rng: np.random.Generator, chan_idx: np.ndarray, msg_ids: np.ndarray) -> pd.Series:
    """About 30% of messages reply to one of the 40 previous messages of their channel (ids are in time order)."""
    parents = np.full(len(msg_ids), -1, dtype=np.int64)
    is_reply = rng.random(len(msg_ids)) < 0.3
    for c in np.unique(chan_idx):
        pos = np.flatnonzero(chan_idx == c)
        k = np.arange(len(pos))
        back = 1 + (rng.random(len(pos)) * np.minimum(k, 40)).astype(np.int64)
        ok = is_reply[pos] & (k > 0)
        parents[pos[ok]] = msg_ids[pos[k[ok] - back[ok]]]
    return pd.Series(parents).where(parents >= 0).astype("Int64")


def _messages(rng: np.random.Generator, members: pd.DataFrame) -> pd.DataFrame:
    activity = np.exp(rng.normal(0.0, 1.5, len(members)))
    mbr_idx = rng.choice(len(members), size=N_MESSAGES, p=activity / activity.sum())
    shares = np.array([c[2] for c in CHANNELS])
    chan_idx = rng.choice(len(CHANNELS), size=N_MESSAGES, p=shares / shares.sum())
    days = day_range(MESSAGES_START, MESSAGES_END)
    weights = day_weights(days, growth=1.2, weekend=0.7, peak_months={10: 1.25, 12: 0.8})
    joined = members["joined_dt"].to_numpy().astype("datetime64[D]")[mbr_idx]
    day = sample_days_after(rng, days, weights, np.maximum(joined, days[0]))
    ts = to_timestamps(day, seconds_into_day(rng, N_MESSAGES, peak_hour=15.0, spread_hours=5.0))
    order = np.argsort(ts, kind="stable")
    mbr_idx, chan_idx, ts = mbr_idx[order], chan_idx[order], ts[order]
    msg_ids = np.arange(9_000_001, 9_000_001 + N_MESSAGES, dtype=np.int64)
    edited = rng.random(N_MESSAGES) < 0.11
    edit_delay = (rng.exponential(1_200.0, N_MESSAGES) + 5).astype(np.int64).astype("timedelta64[s]")
    body_len = np.exp(rng.normal(np.log(90.0), 0.95, N_MESSAGES)).clip(1, 4_000).astype(np.int64)
    return pd.DataFrame({
        "msg_id": msg_ids,
        "chan_id": 11 + chan_idx,
        "mbr_id": members["mbr_id"].to_numpy()[mbr_idx],
        "created_ts": ts,
        "edited_ts": pd.Series(ts + edit_delay).where(edited),
        "body_len": body_len,
        "parent_msg_id": _reply_parents(rng, chan_idx, msg_ids),
    })


def _reactions(rng: np.random.Generator, messages: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    chan_factor = np.array([c[3] for c in CHANNELS])[messages["chan_id"].to_numpy() - 11]
    appeal = np.exp(rng.normal(0.0, 1.0, len(messages))) * chan_factor
    msg_idx = np.sort(rng.choice(len(messages), size=N_REACTIONS, p=appeal / appeal.sum()))
    generosity = np.exp(rng.normal(0.0, 1.0, len(members)))
    reactor = rng.choice(len(members), size=N_REACTIONS, p=generosity / generosity.sum())
    end = np.datetime64(MESSAGES_END, "s") + np.timedelta64(SECONDS_PER_DAY - 1, "s")
    delay = rng.exponential(3 * 3_600.0, N_REACTIONS).astype(np.int64).astype("timedelta64[s]") + np.timedelta64(3, "s")
    rxn_ts = np.minimum(messages["created_ts"].to_numpy().astype("datetime64[s]")[msg_idx] + delay, end)
    return pd.DataFrame({
        "rxn_id": np.arange(40_000_001, 40_000_001 + N_REACTIONS, dtype=np.int64),
        "msg_id": messages["msg_id"].to_numpy()[msg_idx],
        "mbr_id": members["mbr_id"].to_numpy()[reactor],
        "rxn_emoji": _pick(rng, EMOJIS, N_REACTIONS),
        "rxn_ts": rxn_ts,
    })


def _last_seen(rng: np.random.Generator, members: pd.DataFrame, messages: pd.DataFrame) -> pd.Series:
    last_post = messages.groupby("mbr_id")["created_ts"].max()
    floor = members["joined_dt"].astype("datetime64[s]")
    floor = np.maximum(floor.to_numpy(), members["mbr_id"].map(last_post).fillna(floor).to_numpy())
    end = np.datetime64(MESSAGES_END, "s") + np.timedelta64(SECONDS_PER_DAY - 1, "s")
    span = (end - floor).astype(np.int64)
    return pd.Series(floor + (span * rng.random(len(members)) ** 0.5).astype("timedelta64[s]"))


def generate_community(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """All community tables as DataFrames whose columns match `SCHEMA` (same generator state ⇒ same data)."""
    members = _members(rng)
    messages = _messages(rng, members)
    reactions = _reactions(rng, messages, members)
    members["last_seen_ts"] = _last_seen(rng, members, messages)
    return {
        "channels": _channels(),
        "members": members[list(SCHEMA["members"])],
        "messages": messages,
        "reactions": reactions,
    }
