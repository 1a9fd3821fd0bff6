-- list_contacts: the name of every person in Contacts, one per line, so that the engine chooses
-- who is meant by the same rules as on any other system (an exact or whole-part match, else ask).
-- argv: none
on run argv
	tell application "Contacts"
		set names to name of every person
	end tell
	set AppleScript's text item delimiters to linefeed
	return names as text
end run
