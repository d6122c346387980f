-- Each user's language for the pages and messages (issue #15): "en",
-- "zh-CN", or '' for "follow the browser's Accept-Language". Portable SQL.
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT '';
