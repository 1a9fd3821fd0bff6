-- create_calendar_event: a new event, with attendees, in the named (or first writable) calendar.
-- argv: 1 title, 2 start "YYYY-MM-DD HH:MM:SS", 3 end (same form), 4 location, 5 notes,
--       6 calendar name ("" = first writable), 7 invitee count N, 8 … 7+N invitee e-mail addresses
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
	set theTitle to item 1 of argv
	set startDate to my isoDate(item 2 of argv)
	set endDate to my isoDate(item 3 of argv)
	set theLocation to item 4 of argv
	set theNotes to item 5 of argv
	set calName to item 6 of argv
	set nInvitees to (item 7 of argv) as integer
	set invitees to {}
	if nInvitees > 0 then set invitees to items 8 thru (7 + nInvitees) of argv
	tell application "Calendar"
		if calName is "" then
			set cal to first calendar whose writable is true
		else
			set found to (every calendar whose name is calName)
			if (count of found) is 0 then error "No calendar named " & calName & " in Calendar." number 1404
			set cal to item 1 of found
		end if
		tell cal
			set ev to make new event with properties {summary:theTitle, start date:startDate, end date:endDate, location:theLocation, description:theNotes}
		end tell
		repeat with addr in invitees
			tell ev to make new attendee at end of attendees with properties {email:(contents of addr)}
		end repeat
		return name of cal
	end tell
end run
