"""Join fixes: the exact two-element join spec form, duplicate detection in either direction, composite keys,
and correcting an existing spec with `fix_join`."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from genie_enhance.errors import FixError
from genie_enhance.space.fixes import AddJoin, ColumnPair, FixJoin, parse_fix
from genie_enhance.space.ids import is_valid_id
from genie_enhance.space.io import load_space
from genie_enhance_tests.support.fixes_helpers import (
    CUSTOMERS,
    JOIN_ID,
    ORDERS,
    PRODUCTS,
    as_dict,
    as_json,
    small_space,
)
from genie_enhance_tests.support.paths import GENIE_SPACES

REST_EXAMPLE = GENIE_SPACES / "rest_docs_example.json"
REST_JOIN = "01f0c0b4e815100000000000000000c1"
M1 = "MANY_TO_ONE"


def _joins(space) -> list[dict]:
    return as_dict(space)["instructions"]["join_specs"]


def _new_joins(space) -> list[dict]:
    return [j for j in _joins(space) if j["id"] != JOIN_ID]


def test_add_join_emits_the_two_element_form_with_default_aliases() -> None:
    fix = AddJoin(left_table=ORDERS.upper(), right_table=PRODUCTS, on=[ColumnPair(left="product_id", right="id")],
                  relationship=M1, comment="Orders to products", instruction="Use for product questions")
    out = fix.apply(small_space())
    (spec,) = _new_joins(out)
    assert spec["left"] == {"identifier": ORDERS, "alias": "orders"}  # the space's spelling, not the fix's
    assert spec["right"] == {"identifier": PRODUCTS, "alias": "products"}
    assert spec["sql"] == ["`orders`.`product_id` = `products`.`id`", "--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--"]
    assert spec["comment"] == ["Orders to products"]
    assert spec["instruction"] == ["Use for product questions"]
    assert is_valid_id(spec["id"])
    ids = [j["id"] for j in _joins(out)]
    assert ids == sorted(ids)


def test_add_join_uses_explicit_aliases_and_relationship() -> None:
    out = AddJoin(left_table=CUSTOMERS, left_alias="c", right_table=ORDERS, right_alias="o",
                  on=[("customer_id", "buyer_id")], relationship="one_to_many").apply(small_space())
    (spec,) = _new_joins(out)
    assert spec["sql"] == ["`c`.`customer_id` = `o`.`buyer_id`", "--rt=FROM_RELATIONSHIP_TYPE_ONE_TO_MANY--"]
    assert set(spec) == {"id", "left", "right", "sql"}


def test_existing_join_in_either_direction_is_a_no_op() -> None:
    space = small_space()
    same = AddJoin(left_table=ORDERS, right_table=CUSTOMERS, on=[("customer_id", "customer_id")], relationship=M1)
    reverse = AddJoin(left_table=CUSTOMERS, left_alias="c", right_table=ORDERS, right_alias="o",
                      on=[("CUSTOMER_ID", "customer_id")], relationship="ONE_TO_MANY")
    other_type = AddJoin(left_table=ORDERS, right_table=CUSTOMERS,
                         condition="customers.customer_id = orders.customer_id", relationship="ONE_TO_ONE")
    for fix in (same, reverse, other_type):
        assert as_json(fix.apply(space)) == as_json(space)


def test_existing_rest_style_join_without_aliases_or_marker_is_recognized() -> None:
    space = load_space(REST_EXAMPLE)
    fix = AddJoin(left_table="sales.analytics.customers", right_table="sales.analytics.orders",
                  on=[("customer_id", "customer_id")], relationship="ONE_TO_MANY")
    assert as_json(fix.apply(space)) == as_json(space)


def test_condition_form_accepts_any_order_and_full_identifiers() -> None:
    fix = AddJoin(left_table=ORDERS, right_table=PRODUCTS,
                  condition="demo.commerce.products.id = orders.product_id", relationship="MANY_TO_ONE")
    (spec,) = _new_joins(fix.apply(small_space()))
    assert spec["sql"][0] == "`orders`.`product_id` = `products`.`id`"
    same = AddJoin(left_table=ORDERS, right_table=PRODUCTS, on=[("product_id", "id")], relationship="MANY_TO_ONE")
    assert fix.key == same.key


def test_composite_join_becomes_one_spec_per_equality_tied_by_a_comment() -> None:
    fix = AddJoin(left_table=ORDERS, right_table=PRODUCTS, on=[("product_id", "id"), ("region", "region")],
                  relationship="MANY_TO_ONE")
    out = fix.apply(small_space())
    specs = _new_joins(out)
    assert sorted(s["sql"][0] for s in specs) == ["`orders`.`product_id` = `products`.`id`",
                                                  "`orders`.`region` = `products`.`region`"]
    assert all(s["sql"][1] == "--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--" for s in specs)
    assert specs[0]["comment"] == specs[1]["comment"]
    assert "use all of these equalities together" in specs[0]["comment"][0]
    assert len({s["id"] for s in specs}) == 2
    # with one equality already present, only the other is added
    partial = AddJoin(left_table=ORDERS, right_table=PRODUCTS, on=[("product_id", "id")], relationship="MANY_TO_ONE")
    assert len(_new_joins(fix.apply(partial.apply(small_space())))) == 2


def _orders_products(condition: str) -> AddJoin:
    return AddJoin(left_table=ORDERS, right_table=PRODUCTS, condition=condition, relationship=M1)


@pytest.mark.parametrize(
    ("fix", "message"),
    [
        (AddJoin(left_table=ORDERS, right_table="demo.commerce.refunds", on=[("a", "b")], relationship="MANY_TO_ONE"),
         "not in the space"),
        (AddJoin(left_table=ORDERS, right_table=ORDERS, on=[("parent_id", "id")], relationship="MANY_TO_ONE"),
         "set left_alias/right_alias"),
        (_orders_products("product_id = products.id"), "qualify column 'product_id'"),
        (_orders_products("orders.amt > products.price"), "expected column = column"),
        (_orders_products("x.product_id = products.id"), "'x' is neither"),
        (_orders_products("orders.a = orders.b"), "same side"),
        (_orders_products("orders.a = = products.b"), "does not parse"),
    ],
)
def test_add_join_errors(fix: AddJoin, message: str) -> None:
    with pytest.raises(FixError, match=message):
        fix.apply(small_space())


def test_self_join_with_aliases() -> None:
    fix = AddJoin(left_table=ORDERS, left_alias="child", right_table=ORDERS, right_alias="parent",
                  condition="child.parent_id = parent.id", relationship="MANY_TO_ONE")
    (spec,) = _new_joins(fix.apply(small_space()))
    assert spec["sql"][0] == "`child`.`parent_id` = `parent`.`id`"
    assert spec["left"]["identifier"] == spec["right"]["identifier"] == ORDERS


def test_add_join_shape_rules() -> None:
    with pytest.raises(ValidationError, match="exactly one of `on`"):
        AddJoin(left_table=ORDERS, right_table=PRODUCTS, relationship="MANY_TO_ONE")
    with pytest.raises(ValidationError, match="exactly one of `on`"):
        AddJoin(left_table=ORDERS, right_table=PRODUCTS, on=[("a", "b")], condition="orders.a = products.b",
                relationship="MANY_TO_ONE")


def test_add_join_keys_are_direction_free() -> None:
    forward = AddJoin(left_table=ORDERS, right_table=CUSTOMERS, on=[("customer_id", "id")], relationship="MANY_TO_ONE")
    backward = AddJoin(left_table=CUSTOMERS, right_table=ORDERS, on=[("id", "customer_id")], relationship="ONE_TO_MANY")
    other = AddJoin(left_table=ORDERS, right_table=CUSTOMERS, on=[("customer_id", "id")], relationship="ONE_TO_ONE")
    assert forward.key == backward.key != other.key
    assert forward.describe() == f"add join {ORDERS} to {CUSTOMERS} on orders.customer_id = customers.id (MANY_TO_ONE)"


def test_relationship_spellings_are_accepted() -> None:
    for spelling in ("MANY_TO_ONE", "many-to-one", "--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--",
                     "GENIE_AGENT_JOIN_RELATIONSHIP_TYPE_MANY_TO_ONE"):
        fix = parse_fix({"type": "add_join", "left_table": "a", "right_table": "b", "on": [["x", "y"]],
                         "relationship": spelling})
        assert fix.relationship == "MANY_TO_ONE"


# ---------------------------------------------------------------------------------------------- fix_join
def test_fix_join_by_id_changes_relationship_only() -> None:
    out = FixJoin(join_id=JOIN_ID, relationship="ONE_TO_ONE").apply(small_space())
    (spec,) = _joins(out)
    assert spec["sql"] == [
        "`orders`.`customer_id` = `customers`.`customer_id`", "--rt=FROM_RELATIONSHIP_TYPE_ONE_TO_ONE--",
    ]
    assert spec["x_join_note"] == "kept" and spec["id"] == JOIN_ID


def test_fix_join_by_reversed_tables_reads_the_fix_direction() -> None:
    fix = FixJoin(left_table=CUSTOMERS, right_table=ORDERS, on=[("id", "cust_id")], relationship="ONE_TO_MANY")
    (spec,) = _joins(fix.apply(small_space()))
    assert spec["left"]["identifier"] == ORDERS
    assert spec["sql"] == ["`orders`.`cust_id` = `customers`.`id`", "--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--"]
    assert fix.key == FixJoin(left_table=ORDERS, right_table=CUSTOMERS, on=[("cust_id", "id")],
                              relationship="MANY_TO_ONE").key


def test_fix_join_upgrades_a_rest_style_spec() -> None:
    space = load_space(REST_EXAMPLE)
    fix = FixJoin(join_id=REST_JOIN, condition="customers.id = orders.customer_id", relationship=M1)
    out = fix.apply(space)
    spec = _joins(out)[0]
    assert spec["left"] == {"identifier": "sales.analytics.orders", "alias": "orders"}
    assert spec["right"] == {"identifier": "sales.analytics.customers", "alias": "customers"}
    assert spec["sql"] == ["`orders`.`customer_id` = `customers`.`id`", "--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--"]
    assert as_json(FixJoin(join_id=REST_JOIN, relationship="MANY_TO_ONE").apply(space)) != as_json(space)


def test_fix_join_already_applied_is_a_no_op() -> None:
    space = small_space()
    fix = FixJoin(left_table=ORDERS, right_table=CUSTOMERS, on=[("customer_id", "customer_id")],
                  relationship="MANY_TO_ONE")
    assert as_json(fix.apply(space)) == as_json(space)


def test_fix_join_errors() -> None:
    space = small_space()
    with pytest.raises(FixError, match="no join spec with id"):
        FixJoin(join_id="ffffffffffffffffffffffffffffffff", relationship="ONE_TO_ONE").apply(space)
    with pytest.raises(FixError, match="no join spec between"):
        FixJoin(left_table=ORDERS, right_table=PRODUCTS, relationship="ONE_TO_ONE").apply(space)
    with pytest.raises(FixError, match="not in the space"):
        FixJoin(left_table=ORDERS, right_table="x.y.z", relationship="ONE_TO_ONE").apply(space)
    with pytest.raises(FixError, match="one equality"):
        FixJoin(join_id=JOIN_ID, condition="orders.a = customers.a AND orders.b = customers.b").apply(space)
    with pytest.raises(FixError, match="not demo.commerce.orders and demo.commerce.products"):
        FixJoin(join_id=JOIN_ID, left_table=ORDERS, right_table=PRODUCTS, relationship="ONE_TO_ONE").apply(space)
    two = AddJoin(left_table=ORDERS, right_table=CUSTOMERS, on=[("region", "region")],
                  relationship="MANY_TO_ONE").apply(space)
    with pytest.raises(FixError, match="name one with join_id"):
        FixJoin(left_table=ORDERS, right_table=CUSTOMERS, relationship="ONE_TO_ONE").apply(two)


def test_fix_join_shape_rules() -> None:
    with pytest.raises(ValidationError, match="nothing to change"):
        FixJoin(join_id=JOIN_ID)
    with pytest.raises(ValidationError, match="`join_id` or by both"):
        FixJoin(left_table=ORDERS, relationship="ONE_TO_ONE")
    with pytest.raises(ValidationError, match="at most one of"):
        FixJoin(join_id=JOIN_ID, on=[("a", "b")], condition="orders.a = customers.b")
    with pytest.raises(ValidationError):
        FixJoin(join_id=JOIN_ID, on=[("a", "b"), ("c", "d")])


def test_fix_join_describe() -> None:
    text = FixJoin(join_id=JOIN_ID, relationship="ONE_TO_ONE").describe()
    assert text == f"fix join {JOIN_ID}: relationship ONE_TO_ONE"
    text = FixJoin(left_table=ORDERS, right_table=CUSTOMERS, on=[("a", "b")]).describe()
    assert text == f"fix join {ORDERS} to {CUSTOMERS}: condition a = b"
