"""The `commerce` schema of the demo warehouse: regions, customers, products, orders, order items.

Column names follow warehouse habits rather than business words (`gross_amt_usd`, `seg_cd`, `ord_ts`), orders carry
two amounts (gross and discount) and two dates (ordered, shipped), and categorical values are stored in a form that
differs from casual usage ('NORTH AMERICA', 'ELECTRONICS', 'ENT'): the space config has to supply synonyms,
descriptions, entity matching and snippets before a text-to-SQL engine answers business questions correctly.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from genie_enhance.demo.sampling import (
    SECONDS_PER_DAY,
    cents_to_usd,
    day_range,
    day_weights,
    sample_days_after,
    seconds_into_day,
    to_timestamps,
    unique_combinations,
    zipf_weights,
)

ORDERS_START = date(2023, 1, 1)
ORDERS_END = date(2025, 6, 30)  # the demo's fixed reference date
SIGNUP_START = date(2021, 6, 1)
SIGNUP_END = date(2025, 6, 15)

N_CUSTOMERS = 3_000
N_PRODUCTS = 400
N_ORDERS = 30_000

#: Column name → DuckDB type, in table order (the loader creates the tables from these).
SCHEMA: dict[str, dict[str, str]] = {
    "regions": {"rgn_id": "INTEGER", "rgn_cd": "VARCHAR", "rgn_nm": "VARCHAR"},
    "customers": {
        "cust_id": "INTEGER", "cust_nm": "VARCHAR", "seg_cd": "VARCHAR", "rgn_id": "INTEGER",
        "signup_dt": "DATE", "last_login_ts": "TIMESTAMP",
    },
    "products": {
        "prod_id": "INTEGER", "prod_nm": "VARCHAR", "prod_cat": "VARCHAR", "list_price_usd": "DECIMAL(10,2)",
        "unit_cost_usd": "DECIMAL(10,2)", "launch_dt": "DATE",
    },
    "orders": {
        "ord_id": "BIGINT", "cust_id": "INTEGER", "ord_ts": "TIMESTAMP", "ship_dt": "DATE", "ord_stat_cd": "VARCHAR",
        "gross_amt_usd": "DECIMAL(12,2)", "disc_amt_usd": "DECIMAL(12,2)", "pay_mthd_cd": "VARCHAR",
    },
    "order_items": {
        "ord_item_id": "BIGINT", "ord_id": "BIGINT", "prod_id": "INTEGER", "qty": "INTEGER",
        "unit_prc_usd": "DECIMAL(10,2)",
    },
}

REGIONS = [  # id, code, stored name, share of customers
    (1, "NAM", "NORTH AMERICA", 0.40),
    (2, "EUR", "EUROPE", 0.27),
    (3, "APAC", "ASIA PACIFIC", 0.18),
    (4, "LATAM", "LATIN AMERICA", 0.10),
    (5, "MEA", "MIDDLE EAST AND AFRICA", 0.05),
]
SEGMENTS = {"ENT": 0.10, "SMB": 0.35, "CON": 0.55}  # enterprise, small business, consumer
SEGMENT_ACTIVITY = {"ENT": 3.0, "SMB": 1.6, "CON": 1.0}
SEGMENT_DISCOUNTS = {  # rates and their probabilities
    "ENT": ([0.0, 0.05, 0.10, 0.15, 0.20], [0.15, 0.15, 0.30, 0.25, 0.15]),
    "SMB": ([0.0, 0.05, 0.10, 0.15, 0.20], [0.45, 0.25, 0.20, 0.07, 0.03]),
    "CON": ([0.0, 0.05, 0.10, 0.15, 0.20], [0.70, 0.15, 0.10, 0.04, 0.01]),
}
STATUSES = {"CMP": 0.82, "CNL": 0.07, "RTN": 0.05, "SHP": 0.06}  # complete, cancelled, returned, shipped
PAYMENT_METHODS = {"CARD": 0.62, "PAYPAL": 0.21, "WIRE": 0.09, "GIFT": 0.08}

CATEGORIES = {  # stored category → (median list price, share of catalogue, product nouns)
    "ELECTRONICS": (160.0, 0.16, ["Headphones", "Speaker", "Monitor", "Keyboard", "Webcam", "Router", "Tablet",
                                  "Smartwatch", "Charger", "Drone"]),
    "HOME GOODS": (55.0, 0.15, ["Lamp", "Blender", "Kettle", "Rug", "Pillow", "Toaster", "Vase", "Cookware Set"]),
    "APPAREL": (45.0, 0.15, ["Jacket", "Sneakers", "Hoodie", "Scarf", "Jeans", "Backpack", "Cap", "Raincoat"]),
    "SPORTS": (70.0, 0.12, ["Yoga Mat", "Dumbbells", "Tennis Racket", "Bike Helmet", "Running Shoes", "Tent"]),
    "BOOKS": (19.0, 0.12, ["Cookbook", "Novel", "Atlas", "Field Guide", "Biography", "Workbook"]),
    "TOYS": (32.0, 0.10, ["Puzzle", "Building Set", "Plush Bear", "Board Game", "Kite", "Robot Kit"]),
    "BEAUTY": (26.0, 0.10, ["Serum", "Face Cream", "Shampoo", "Perfume", "Lip Balm", "Hair Dryer"]),
    "GROCERY": (12.0, 0.10, ["Coffee Beans", "Green Tea", "Olive Oil", "Granola", "Dark Chocolate", "Honey"]),
}
BRANDS = ["Aurora", "Nimbus", "Vertex", "Harbor", "Summit", "Cobalt", "Maple", "Orbit", "Pioneer", "Lumen",
          "Cedar", "Atlas", "Zephyr", "Ember", "Northwind", "Solstice"]

FIRST_NAMES = ["Ava", "Liam", "Noah", "Emma", "Olivia", "Mia", "Lucas", "Sofia", "Mateo", "Yuki", "Hiro", "Chloe",
               "Aarav", "Priya", "Omar", "Fatima", "Lena", "Jonas", "Elena", "Marco", "Ines", "Diego", "Camila",
               "Wei", "Min-jun", "Seo-yeon", "Arjun", "Zara", "Ethan", "Grace", "Leo", "Nora", "Isaac", "Maya",
               "Felix", "Hana", "Oscar", "Alma", "Tariq", "Amara", "Kofi", "Nia", "Sven", "Freya", "Luca", "Giulia",
               "Pablo", "Lucia", "Ivan", "Katya", "Ravi", "Anika", "Jae", "Soo-ah", "Tomas", "Eva", "Hugo", "Clara",
               "Rafael", "Beatriz"]
LAST_NAMES = ["Smith", "Garcia", "Kim", "Tanaka", "Muller", "Rossi", "Silva", "Patel", "Nguyen", "Cohen", "Haddad",
              "Okafor", "Johansson", "Novak", "Dubois", "Fernandez", "Lopez", "Chen", "Wang", "Park", "Lee", "Singh",
              "Khan", "Ali", "Mensah", "Larsen", "Berg", "Costa", "Santos", "Moreau", "Weber", "Fischer", "Ivanova",
              "Petrov", "Yamamoto", "Sato", "Gupta", "Shah", "Brown", "Taylor", "Wilson", "Martin", "Clark", "Lewis",
              "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill",
              "Ramos", "Ortiz", "Reyes", "Cruz", "Morales", "Jensen", "Nielsen", "Hansen", "Kowalski", "Horvat",
              "Popescu", "Nagy", "Papadopoulos", "Demir", "Yilmaz", "Farouk", "Abebe", "Dlamini", "Osei", "Mwangi",
              "Achieng", "Bianchi", "Romano", "Conti", "Marino"]


def _choice(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(table))
    p = np.array(list(table.values()))
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _regions() -> pd.DataFrame:
    return pd.DataFrame([r[:3] for r in REGIONS], columns=list(SCHEMA["regions"]))


def _customers(rng: np.random.Generator) -> pd.DataFrame:
    names = unique_combinations(rng, FIRST_NAMES, LAST_NAMES, N_CUSTOMERS, " ")
    seg = _choice(rng, SEGMENTS, N_CUSTOMERS)
    shares = np.array([r[3] for r in REGIONS])
    region = rng.choice([r[0] for r in REGIONS], size=N_CUSTOMERS, p=shares / shares.sum())
    days = day_range(SIGNUP_START, SIGNUP_END)
    signup = sample_days_after(rng, days, day_weights(days, growth=1.5, weekend=0.8, peak_months={1: 1.3}),
                               np.full(N_CUSTOMERS, days[0]))
    return pd.DataFrame({
        "cust_id": np.arange(1001, 1001 + N_CUSTOMERS),
        "cust_nm": names,
        "seg_cd": seg,
        "rgn_id": region,
        "signup_dt": signup,
    })


def _products(rng: np.random.Generator) -> pd.DataFrame:
    cats = list(CATEGORIES)
    shares = np.array([CATEGORIES[c][1] for c in cats])
    counts = np.floor(shares / shares.sum() * N_PRODUCTS).astype(int)
    counts[0] += N_PRODUCTS - counts.sum()
    cat_col: list[str] = []
    names: list[str] = []
    prices: list[np.ndarray] = []
    for cat, count in zip(cats, counts):
        median, _, nouns = CATEGORIES[cat]
        cat_names = unique_combinations(rng, BRANDS, nouns, min(count, len(BRANDS) * len(nouns)), " ")
        while len(cat_names) < count:  # a few categories need a model line to stay unique
            cat_names.append(f"{cat_names[len(cat_names) % len(BRANDS)]} Pro {len(cat_names)}")
        cat_col += [cat] * count
        names += cat_names
        prices.append(np.exp(rng.normal(np.log(median), 0.55, count)))
    list_cents = np.floor(np.concatenate(prices).clip(2.0, 2_400.0)).astype(np.int64) * 100 + 99  # $x.99
    cost_cents = np.round(list_cents * rng.uniform(0.35, 0.7, N_PRODUCTS)).astype(np.int64)
    launch_days = day_range(date(2019, 1, 1), date(2022, 12, 31))
    launch = launch_days[rng.integers(0, len(launch_days), N_PRODUCTS)]
    return pd.DataFrame({
        "prod_id": np.arange(501, 501 + N_PRODUCTS),
        "prod_nm": names,
        "prod_cat": cat_col,
        "list_price_usd": cents_to_usd(list_cents),
        "unit_cost_usd": cents_to_usd(cost_cents),
        "launch_dt": launch,
    })


def _orders(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    seg = customers["seg_cd"].to_numpy()
    days = day_range(ORDERS_START, ORDERS_END)
    signup_all = customers["signup_dt"].to_numpy().astype("datetime64[D]")
    window = (days[-1] - np.maximum(signup_all, days[0])).astype(int) + 1  # late sign-ups order less in total
    activity = np.exp(rng.normal(0.0, 0.9, len(customers))) * np.vectorize(SEGMENT_ACTIVITY.get)(seg) * window
    cust_idx = rng.choice(len(customers), size=N_ORDERS, p=activity / activity.sum())
    weights = day_weights(days, growth=0.8, weekend=1.25, peak_months={11: 1.45, 12: 1.6, 2: 0.85})
    order_day = sample_days_after(rng, days, weights, np.maximum(signup_all[cust_idx], days[0]))
    ts = to_timestamps(order_day, seconds_into_day(rng, N_ORDERS, peak_hour=14.0, spread_hours=4.5))
    order = np.argsort(ts, kind="stable")  # order ids increase with time, as in a real system
    cust_idx, ts, order_day = cust_idx[order], ts[order], order_day[order]
    status = _choice(rng, STATUSES, N_ORDERS)
    ship = order_day + rng.integers(1, 7, N_ORDERS).astype("timedelta64[D]")
    unshipped = np.datetime64(ORDERS_END, "D")
    status = np.where((ship > unshipped) & (status != "CNL"), "PND", status)
    status = np.where((order_day > unshipped - 10) & (status == "CMP"), "SHP", status)
    ship_col = pd.Series(ship).where(~np.isin(status, ["CNL", "PND"]))
    return pd.DataFrame({
        "ord_id": np.arange(100_001, 100_001 + N_ORDERS),
        "cust_id": customers["cust_id"].to_numpy()[cust_idx],
        "ord_ts": ts,
        "ship_dt": ship_col,
        "ord_stat_cd": status,
        "pay_mthd_cd": _choice(rng, PAYMENT_METHODS, N_ORDERS),
        "_seg": seg[cust_idx],
    })


def _order_items(rng: np.random.Generator, orders: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    n_lines = (1 + rng.poisson(1.5, len(orders))).clip(1, 8)
    order_pos = np.repeat(np.arange(len(orders)), n_lines)
    n = len(order_pos)
    popularity = zipf_weights(rng, len(products), 0.7)
    prod_idx = rng.choice(len(products), size=n, p=popularity)
    qty = 1 + rng.poisson(0.5, n)
    enterprise = orders["_seg"].to_numpy()[order_pos] == "ENT"
    qty = np.where(enterprise, qty * (1 + rng.poisson(2.0, n)), qty)
    list_cents = np.round(products["list_price_usd"].to_numpy()[prod_idx] * 100).astype(np.int64)
    promo = rng.choice([1.0, 0.9, 0.8], size=n, p=[0.8, 0.15, 0.05])
    unit_cents = np.round(list_cents * promo).astype(np.int64)
    return pd.DataFrame({
        "ord_item_id": np.arange(1, n + 1, dtype=np.int64) + 5_000_000,
        "ord_id": orders["ord_id"].to_numpy()[order_pos],
        "prod_id": products["prod_id"].to_numpy()[prod_idx],
        "qty": qty,
        "unit_prc_usd": cents_to_usd(unit_cents),
        "_line_cents": qty * unit_cents,
        "_order_pos": order_pos,
    })


def _finish_orders(rng: np.random.Generator, orders: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Gross = sum of the order's lines; discount = a segment-dependent rate of the gross."""
    gross = np.bincount(items["_order_pos"], weights=items["_line_cents"], minlength=len(orders))
    gross = np.round(gross).astype(np.int64)
    seg = orders["_seg"].to_numpy()
    rate = np.zeros(len(orders))
    for code, (rates, probs) in SEGMENT_DISCOUNTS.items():
        mask = seg == code
        rate[mask] = rng.choice(rates, size=int(mask.sum()), p=probs)
    disc = np.round(gross * rate).astype(np.int64)
    out = orders.drop(columns="_seg").copy()
    out["gross_amt_usd"] = cents_to_usd(gross)
    out["disc_amt_usd"] = cents_to_usd(disc)
    return out[list(SCHEMA["orders"])]


def _last_logins(rng: np.random.Generator, customers: pd.DataFrame, orders: pd.DataFrame) -> pd.Series:
    last_order = orders.groupby("cust_id")["ord_ts"].max()
    floor = customers["signup_dt"].astype("datetime64[s]")
    floor = np.maximum(floor.to_numpy(), customers["cust_id"].map(last_order).fillna(floor).to_numpy())
    end = np.datetime64(ORDERS_END, "s") + np.timedelta64(SECONDS_PER_DAY - 1, "s")
    span = (end - floor).astype(np.int64)
    return pd.Series(floor + (span * rng.random(len(customers)) ** 0.3).astype("timedelta64[s]"))


def generate_commerce(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """All commerce tables as DataFrames whose columns match `SCHEMA` (same generator state ⇒ same data)."""
    customers = _customers(rng)
    products = _products(rng)
    orders = _orders(rng, customers)
    items = _order_items(rng, orders, products)
    orders = _finish_orders(rng, orders, items)
    customers["last_login_ts"] = _last_logins(rng, customers, orders)
    return {
        "regions": _regions(),
        "customers": customers[list(SCHEMA["customers"])],
        "products": products[list(SCHEMA["products"])],
        "orders": orders,
        "order_items": items[list(SCHEMA["order_items"])],
    }
