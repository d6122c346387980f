-- Saved views of the order desk (issue #15): a user's named filters of a
-- list page, theirs alone. Portable SQL; times in unix nanoseconds.
CREATE TABLE saved_views (
    username   TEXT NOT NULL REFERENCES users(username),
    page       TEXT NOT NULL,
    name       TEXT NOT NULL,
    query      TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL, -- unix nanoseconds
    PRIMARY KEY (username, page, name)
);
