-- append_note_content: add an HTML fragment (made by the caller) to the end of an existing note.
-- argv: 1 name, 2 HTML fragment, 3 folder ("" = any)
on run argv
	set theName to item 1 of argv
	set fragment to item 2 of argv
	set folderName to item 3 of argv
	tell application "Notes"
		if folderName is "" then
			set found to (every note whose name is theName)
		else
			set found to (every note of (every folder whose name is folderName) whose name is theName)
			if (count of found) > 0 then set found to item 1 of found
		end if
		if (count of found) is 0 then error "No note named " & theName & " in Notes." number 1404
		set n to item 1 of found
		set body of n to (body of n) & fragment
		return name of n
	end tell
end run
