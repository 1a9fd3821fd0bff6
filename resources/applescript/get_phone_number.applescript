-- get_phone_number: the first phone number of the contact with exactly this name
-- (the engine chose it from list_contacts; a name it only contains is never guessed).
-- argv: 1 name
on run argv
	set targetName to item 1 of argv
	tell application "Contacts"
		set found to (every person whose name is targetName)
		if (count of found) is 0 then error "No contact named " & targetName & " in Contacts." number 1404
		set p to item 1 of found
		if (count of phones of p) is 0 then error (name of p) & " has no phone number in Contacts." number 1404
		return value of item 1 of phones of p
	end tell
end run
