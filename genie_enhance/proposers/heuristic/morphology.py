"""Natural morphological variants of a taught business phrase (sell/sold/sales, spend/spent/spending).

Why: a synonym or snippet name taught from one train question is read in every other question, and people ask
about the same measure or condition with another form of the word ("what is our sales amount" / "how much did we
sell", "total spend" / "how much was spent", "cancelled" / "cancellations"). The stemmer only folds plurals, so
irregular and derived forms are different words to Genie. Variants come from a small closed lexicon of word families
common in analytics questions (never guessed from spelling), and only for a phrase that *is* one family word, or a
family word before a generic measure noun ("sales amount" → "sales", "sell", …). Like every taught phrase, each
variant is then checked against the other train questions (see `consistency.py`) before it is proposed.
"""

from __future__ import annotations

from genie_enhance.words import stems

#: word families: the inflections of one business verb and the nouns naming its activity
FAMILIES: tuple[tuple[str, ...], ...] = (
    ("sell", "sold", "selling", "sales", "sells", "sale"),
    ("spend", "spends", "spent", "spending"),
    ("buy", "buys", "bought", "buying"),
    ("purchase", "purchases", "purchased", "purchasing"),
    ("pay", "pays", "paid", "paying", "payment", "payments"),
    ("earn", "earns", "earned", "earning", "earnings"),
    ("charge", "charges", "charged", "charging"),
    ("bill", "bills", "billed", "billing"),
    ("refund", "refunds", "refunded", "refunding"),
    ("discount", "discounts", "discounted", "discounting"),
    ("ship", "ships", "shipped", "shipping", "shipment", "shipments"),
    ("deliver", "delivers", "delivered", "delivering", "delivery", "deliveries"),
    ("return", "returns", "returned", "returning"),
    ("cancel", "cancels", "cancelled", "canceled", "cancelling", "canceling", "cancellation", "cancellations"),
    ("order", "orders", "ordered", "ordering"),
    ("register", "registers", "registered", "registering", "registration", "registrations"),
    ("subscribe", "subscribes", "subscribed", "subscribing", "subscription", "subscriptions"),
    ("post", "posts", "posted", "posting"),
    ("edit", "edits", "edited", "editing"),
    ("reply", "replies", "replied", "replying"),
    ("send", "sends", "sent", "sending"),
    ("visit", "visits", "visited", "visiting"),
    ("view", "views", "viewed", "viewing"),
    ("click", "clicks", "clicked", "clicking"),
    ("download", "downloads", "downloaded", "downloading"),
    ("use", "uses", "used", "using", "usage"),
)
#: generic nouns that only say "a quantity of": "sales amount" is the amount of sales
MEASURE_HEADS = frozenset({"amount", "amounts", "value", "values", "total", "totals", "volume", "volumes", "figure",
                           "figures", "sum"})

_FAMILY_OF = {form: family for family in FAMILIES for form in family}


def family_word(phrase: str) -> tuple[str, ...] | None:
    """The family of a phrase that is one family word, or one family word before a measure noun."""
    words = phrase.lower().split()
    if len(words) == 1:
        return _FAMILY_OF.get(words[0])
    if len(words) == 2 and words[1] in MEASURE_HEADS:
        return _FAMILY_OF.get(words[0])
    return None


def variants(phrase: str) -> list[str]:
    """Other forms of `phrase` that read differently to a plural-folding stemmer, in lexicon order."""
    family = family_word(phrase)
    if family is None:
        return []
    seen = {stems(phrase)}
    found = []
    for form in family:
        key = stems(form)
        if key not in seen:
            seen.add(key)
            found.append(form)
    return found
