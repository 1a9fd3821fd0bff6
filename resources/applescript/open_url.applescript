-- maps_open_location / maps_show_directions: open an Apple Maps URL (built and percent-encoded
-- by the caller, so no user text is ever parsed here).
-- argv: 1 URL
on run argv
	open location (item 1 of argv)
	return item 1 of argv
end run
