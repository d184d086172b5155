# prod: replace the documentation CIDR with the hospitals' upload networks before the first apply.
upload_source_cidrs   = ["198.51.100.0/24"]
facility_codes        = ["131000011", "131000029", "271000015"]
monthly_budget_usd    = 200
usage_limit_rpu_hours = 200
