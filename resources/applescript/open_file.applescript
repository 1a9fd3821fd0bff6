-- open_and_get_file_path: open a file found by Spotlight (the search runs in the caller, with mdfind).
-- argv: 1 POSIX path
on run argv
	set p to item 1 of argv
	tell application "Finder" to open (POSIX file p as alias)
	return p
end run
