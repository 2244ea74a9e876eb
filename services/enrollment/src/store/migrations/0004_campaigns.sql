-- Allocation campaigns: a window in which families rank up to K groups, a draw at the close
-- (deferred acceptance, category priorities, a lottery whose seed was committed beforehand).
-- The seed is kept here from the announcement and shown to nobody until the draw.
CREATE TABLE campaigns (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  name            text NOT NULL,
  max_choices     integer NOT NULL CHECK (max_choices BETWEEN 1 AND 20),
  opens_at        timestamptz NOT NULL,
  closes_at       timestamptz NOT NULL CHECK (closes_at > opens_at),
  -- announced: before and during the window; closed: inputs frozen, digest published; drawn: done.
  status          text NOT NULL CHECK (status IN ('announced', 'closed', 'drawn')),
  seed            text NOT NULL,
  seed_commitment text NOT NULL,
  algorithm       text NOT NULL,
  -- json, not jsonb: the exact text whose SHA-256 was published (jsonb would reorder the keys).
  input           json,
  input_digest    text,
  closed_at       timestamptz,
  result          json,
  drawn_at        timestamptz,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL
);
CREATE INDEX campaigns_due ON campaigns (closes_at) WHERE status <> 'drawn';
CREATE INDEX campaigns_of_municipality ON campaigns (municipality_id, opens_at DESC);

-- The groups of a campaign. A group is in at most one campaign not yet drawn (the index), and
-- while it is, it takes no first-come applications: its free seats go through the draw.
CREATE TABLE campaign_groups (
  campaign_id uuid NOT NULL REFERENCES campaigns (id),
  group_id    uuid NOT NULL REFERENCES groups (id),
  position    integer NOT NULL,
  drawn       boolean NOT NULL DEFAULT false,
  PRIMARY KEY (campaign_id, group_id)
);
CREATE UNIQUE INDEX campaign_groups_undrawn ON campaign_groups (group_id) WHERE NOT drawn;

-- A family's ranked choices, replaced as a whole until the window closes.
CREATE TABLE campaign_choices (
  campaign_id    uuid NOT NULL REFERENCES campaigns (id),
  child_id       uuid NOT NULL,
  certificate_id uuid NOT NULL,
  guardian_id    uuid,
  submitted_by   text NOT NULL,
  submitted_role text NOT NULL CHECK (submitted_role IN ('guardian', 'operator')),
  group_ids      uuid[] NOT NULL,
  submitted_at   timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (campaign_id, child_id)
);

-- What the draw did for each child and group: the application it created (an offer follows for
-- an admitted child), or why the rules of the queue refused it at that moment.
CREATE TABLE campaign_placements (
  campaign_id    uuid NOT NULL REFERENCES campaigns (id),
  child_id       uuid NOT NULL,
  group_id       uuid NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('admitted', 'waitlisted')),
  application_id uuid REFERENCES applications (id),
  refusal_code   text,
  refusal_detail text,
  PRIMARY KEY (campaign_id, child_id, group_id)
);
