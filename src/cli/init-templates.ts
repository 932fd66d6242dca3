/** What `straymap init` writes: a config and a data map to start from, every key explained. */

export const CONFIG_TEMPLATE = `# straymap.yaml — what straymap searches, and with what limits.
# Secrets never go here: write \${ENV_VAR} and set the variable.

sources:
  # A folder of exports (a mounted share works too).
  - id: exports
    kind: fs
    path: ./exports
    exclude: ["tmp/**"]

  # A PostgreSQL database, searched read-only.
  # - id: prod-db
  #   kind: postgres
  #   url: \${DATABASE_URL}
  #   statementTimeout: 30s

  # An S3 bucket (credentials from the standard AWS chain).
  # - id: reports-bucket
  #   kind: s3
  #   bucket: acme-reports
  #   region: eu-west-1

# The team's data map: which system each location belongs to.
map: data-map.yaml

# Where requests, runs and the sweep cache are kept.
store: .straymap/straymap.db

# Deletion requests: the controller named on every report, and the time zone reports are written in.
# organisation:
#   name: Example Ltd
#   contact: privacy@example.com
#   dpo: dpo@example.com
# timezone: Europe/Paris

# Region for phone numbers written without a country code.
phoneRegion: US

limits:
  maxFileSize: 8GB
  concurrency: 4

# Your own PII rules, e.g. the shape of your customer IDs (see straymap rules).
rules: []
`;

export const MAP_TEMPLATE = `# data-map.yaml — one entry per system that holds customer data.
# It is the worksheet a privacy review fills in, kept in git:
#   id         short name used in commands and reports
#   name       what people call it
#   owner      who acts on it during a deletion request
#   data       the exact fields it holds
#   origin     how data gets there
#   retention  how long it stays: a duration (30d, 13 months, 7y) or until-deleted
#   action     what a deletion request does there: delete, anonymize, suppress,
#              expire (backups), vendor-ticket (a vendor holds it), manual
#   kind       live, logs, support, billing, analytics, export, backup, staging, vendor…
#   locations  source id + path glob (or table glob) that tie findings to it
# Systems no scanner reaches (backups, vendors) belong here too.

systems:
  - id: finance-exports
    name: Finance exports share
    owner: finance-lead@example.com
    data: [email, name, plan]
    origin: monthly export from billing
    retention: 13 months
    action: delete
    kind: export
    locations:
      - source: exports
        path: "finance/**"

  - id: nightly-backups
    name: Nightly database backups
    owner: ops@example.com
    data: [everything in the production database]
    origin: pg_dump every night
    retention: 35d
    action: expire
    kind: backup
`;
