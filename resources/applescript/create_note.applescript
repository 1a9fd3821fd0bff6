-- create_note: a new note (the body is HTML made by the caller) in the named folder or the default one.
-- argv: 1 name, 2 HTML body, 3 folder ("" = default)
on run argv
	set theName to item 1 of argv
	set theBody to item 2 of argv
	set folderName to item 3 of argv
	tell application "Notes"
		if folderName is "" then
			set target to default account's default folder
		else
			set found to (every folder whose name is folderName)
			if (count of found) is 0 then
				set target to make new folder with properties {name:folderName}
			else
				set target to item 1 of found
			end if
		end if
		make new note at target with properties {name:theName, body:theBody}
		return name of target
	end tell
end run
