"""Where state lives outside the rooms: Redis (leaderboards, snapshots) and PostgreSQL (finished matches)."""
