-- reply_to_email: reply to the message selected in Mail, sent at once.
-- argv: 1 the message id approval showed ("": the selected one), 2 body, 3 cc count C, then C addresses, then attachment count A, then A POSIX paths
on run argv
	set expected to item 1 of argv
	set theBody to item 2 of argv
	set i to 3
	set nCc to (item i of argv) as integer
	set ccList to {}
	if nCc > 0 then set ccList to items (i + 1) thru (i + nCc) of argv
	set i to i + nCc + 1
	set nAtt to (item i of argv) as integer
	set attList to {}
	if nAtt > 0 then set attList to items (i + 1) thru (i + nAtt) of argv
	tell application "Mail"
		set picked to selection
		if (count of picked) is 0 then error "No message is selected in Mail: select the one to reply to." number 1404
		if expected is not "" and (message id of (item 1 of picked)) is not expected then error "The message selected in Mail is not the one shown for approval; nothing was sent. Select it again and ask again." number 1405
		set original to item 1 of picked
		set msg to reply original opening window false
		tell msg
			set content to theBody & return & return & content
			repeat with addr in ccList
				make new cc recipient at end of cc recipients with properties {address:(contents of addr)}
			end repeat
			repeat with p in attList
				make new attachment with properties {file name:(POSIX file (contents of p)) as alias} at after the last paragraph
			end repeat
		end tell
		send msg
		return "replied to " & (sender of original)
	end tell
end run
