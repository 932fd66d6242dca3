-- Hard cases for the PostgreSQL scanner, loaded on top of Pagila by test/global-setup.ts.
-- The customer looked for is Pagila's customer 1, MARY.SMITH@sakila.example.org.
CREATE EXTENSION IF NOT EXISTS citext;

CREATE SCHEMA crm;
CREATE TABLE crm.contacts (id int PRIMARY KEY, email citext, tags text[], profile jsonb, notes text);
INSERT INTO crm.contacts VALUES
  (1, 'Mary.Smith@Sakila.Example.org', '{vip}', '{"billing": {"emails": ["ap@example.com", "mary.smith@sakila.example.org"]}}', 'call Mary back'),
  (2, 'bob@example.com', '{"ref:MARY.SMITH@sakila.example.org", "x"}', '{}', NULL),
  (3, 'rosemary.smith@sakila.example.org', '{}', '{"note": "not her: marysmith@sakila.example.org"}', NULL);
CREATE MATERIALIZED VIEW crm.contact_emails AS SELECT id, email::text AS email FROM crm.contacts;

-- No primary key: rows are found by ctid.
CREATE TABLE public.audit_log (at timestamptz NOT NULL DEFAULT '2026-11-01', message text);
INSERT INTO public.audit_log (message) VALUES ('nothing here'), ('login by mary.smith+promo@sakila.example.org');

-- Mixed case, spaces, and a name that would be SQL if it were not quoted.
CREATE TABLE public."Support Tickets" ("Ticket ID" int PRIMARY KEY, "Body" text);
INSERT INTO public."Support Tickets" VALUES (7, 'customer MARY.SMITH%40sakila.example.org asked for a refund'), (8, 'unrelated');
CREATE TABLE public."""; DROP TABLE public.customer; --" (id int PRIMARY KEY, email text);
INSERT INTO public."""; DROP TABLE public.customer; --" VALUES (1, 'mary.smith@sakila.example.org');

-- A partitioned table: searched once, through its parent.
CREATE TABLE public.events (id bigint, at date, payload jsonb, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE public.events_2026_10 PARTITION OF public.events FOR VALUES FROM ('2026-10-01') TO ('2026-11-01');
CREATE TABLE public.events_2026_11 PARTITION OF public.events FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
INSERT INTO public.events VALUES
  (1, '2026-10-15', '{"user": {"email": "MARY.SMITH@sakila.example.org"}}'),
  (2, '2026-11-02', '{"user": {"email": "mary.smith@sakila.example.org"}}'),
  (3, '2026-11-03', '{"user": {"email": "someone@example.com"}}');

-- An indexed email column and nothing else to search: the index path.
CREATE TABLE crm.newsletter (id int PRIMARY KEY, email text NOT NULL, signed_up date);
CREATE UNIQUE INDEX newsletter_email ON crm.newsletter (lower(email));
INSERT INTO crm.newsletter VALUES (1, 'ann@example.com', '2026-01-01'), (2, 'Mary.Smith@sakila.example.org', '2026-02-02');

-- UUID keys: candidates only for an --id of that shape, matched by equality.
CREATE TABLE crm.sessions (id uuid PRIMARY KEY, user_ref uuid, agent text);
INSERT INTO crm.sessions VALUES
  ('00000000-0000-4000-8000-000000000001', '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f', 'firefox'),
  ('00000000-0000-4000-8000-000000000002', '11111111-2222-4333-8444-555555555555', 'curl');

-- Big, never analysed: sweep must sample it with TABLESAMPLE, not read it.
CREATE TABLE crm.big_import (n int, col1 text, col2 text, col3 text) WITH (autovacuum_enabled = false);
INSERT INTO crm.big_import SELECT g, 'row ' || g, 'x', 'user' || g || '@example.com' FROM generate_series(1, 50000) g;

-- A reader role: what straymap connects as. It may not read public.secrets,
-- and public.slow makes every row wait (a row-level security policy that sleeps).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'straymap_reader') THEN CREATE ROLE straymap_reader LOGIN PASSWORD 'reader-secret-pw'; END IF;
END $$;
GRANT USAGE ON SCHEMA crm TO straymap_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public, crm TO straymap_reader;
CREATE TABLE public.secrets (id int PRIMARY KEY, email text);
INSERT INTO public.secrets VALUES (1, 'mary.smith@sakila.example.org');
CREATE TABLE public.slow (id int PRIMARY KEY, note text);
INSERT INTO public.slow SELECT g, 'note ' || g FROM generate_series(1, 20) g;
GRANT SELECT ON public.slow TO straymap_reader;
ALTER TABLE public.slow ENABLE ROW LEVEL SECURITY;
CREATE POLICY slow_rows ON public.slow FOR SELECT USING (pg_sleep(0.2) IS NOT NULL);
