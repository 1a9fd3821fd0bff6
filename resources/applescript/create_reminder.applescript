-- create_reminder: a reminder in the named list (created if missing) or the default list.
-- argv: 1 name, 2 due "YYYY-MM-DD HH:MM:SS" or "" (none), 3 notes, 4 list ("" = default),
--       5 priority (0 none, 1 high … 9 low), 6 all day ("true"/"false")
on isoDate(s)
	set d to current date
	set day of d to 1
	set year of d to (text 1 thru 4 of s) as integer
	set month of d to (text 6 thru 7 of s) as integer
	set day of d to (text 9 thru 10 of s) as integer
	set time of d to ((text 12 thru 13 of s) as integer) * hours + ((text 15 thru 16 of s) as integer) * minutes
	return d
end isoDate

on run argv
	set theName to item 1 of argv
	set dueText to item 2 of argv
	set theNotes to item 3 of argv
	set listName to item 4 of argv
	set thePriority to (item 5 of argv) as integer
	set allDay to (item 6 of argv) is "true"
	tell application "Reminders"
		if listName is "" then
			set target to default list
		else
			set found to (every list whose name is listName)
			if (count of found) is 0 then
				set target to make new list with properties {name:listName}
			else
				set target to item 1 of found
			end if
		end if
		set r to make new reminder at end of reminders of target with properties {name:theName, body:theNotes, priority:thePriority}
		if dueText is not "" then
			if allDay then
				set allday due date of r to my isoDate(dueText)
			else
				set due date of r to my isoDate(dueText)
			end if
		end if
		return name of target
	end tell
end run
