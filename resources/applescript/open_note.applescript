-- open_note: the plain text of the first note with this name (in the folder, if one is given).
-- argv: 1 name, 2 folder ("" = any)
on run argv
	set theName to item 1 of argv
	set folderName to item 2 of argv
	tell application "Notes"
		if folderName is "" then
			set found to (every note whose name is theName)
		else
			set found to (every note of (every folder whose name is folderName) whose name is theName)
			if (count of found) > 0 then set found to item 1 of found
		end if
		if (count of found) is 0 then error "No note named " & theName & " in Notes." number 1404
		return plaintext of (item 1 of found)
	end tell
end run
