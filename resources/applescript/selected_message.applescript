-- selected_message: what a reply or forward will act on, for approval to show and bind to. Read-only.
-- argv: 1 the most characters of the message's text to return
-- result: message id, sender, subject and text, separated by ASCII 30 (record separator)
on run argv
	set maxChars to (item 1 of argv) as integer
	tell application "Mail"
		set picked to selection
		if (count of picked) is 0 then error "No message is selected in Mail: select the one to reply to or forward." number 1404
		set original to item 1 of picked
		set theText to content of original
		if (length of theText) > maxChars then set theText to text 1 thru maxChars of theText
		set sep to (ASCII character 30)
		return (message id of original) & sep & (sender of original) & sep & (subject of original) & sep & theText
	end tell
end run
