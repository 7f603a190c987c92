-- The direct messages an action item's owner was sent about it (assigned, due): once the item is closed they are
-- updated in place to say so, without their Done button.
CREATE TABLE action_item_dms (
  item_id integer NOT NULL REFERENCES action_items (id) ON DELETE CASCADE,
  channel_id text NOT NULL,
  ts text NOT NULL,
  why text NOT NULL CHECK (why IN ('assigned', 'due')),
  PRIMARY KEY (item_id, ts)
);
