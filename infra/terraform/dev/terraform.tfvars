# dev: replace the documentation CIDR with the networks hospitals and the team upload from.
upload_source_cidrs   = ["192.0.2.0/24"]
facility_codes        = ["131000011", "131000029", "271000015"]
monthly_budget_usd    = 50
usage_limit_rpu_hours = 60
