"""The neutral layer below `scoring`, `space` and `backends`: the Genie and Warehouse protocols with the values
that cross them (`ResultSet`, `GenieAnswer`, `Catalog`), and the question token bucket. It imports no other
package of genie_enhance, so each of those can depend on it without depending on one another."""
