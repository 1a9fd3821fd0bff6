-- forward_email: forward the message selected in Mail, sent at once.
-- argv: 1 the message id approval showed ("": the selected one), 2 body, 3 recipient count R, then R addresses, then cc count C, then C addresses,
--       then attachment count A, then A POSIX paths
on run argv
	set expected to item 1 of argv
	set theBody to item 2 of argv
	set i to 3
	set nTo to (item i of argv) as integer
	set toList to {}
	if nTo > 0 then set toList to items (i + 1) thru (i + nTo) of argv
	set i to i + nTo + 1
	set nCc to (item i of argv) as integer
	set ccList to {}
	if nCc > 0 then set ccList to items (i + 1) thru (i + nCc) of argv
	set i to i + nCc + 1
	set nAtt to (item i of argv) as integer
	set attList to {}
	if nAtt > 0 then set attList to items (i + 1) thru (i + nAtt) of argv
	tell application "Mail"
		set picked to selection
		if (count of picked) is 0 then error "No message is selected in Mail: select the one to forward." number 1404
		if expected is not "" and (message id of (item 1 of picked)) is not expected then error "The message selected in Mail is not the one shown for approval; nothing was sent. Select it again and ask again." number 1405
		set msg to forward (item 1 of picked) opening window false
		tell msg
			if theBody is not "" then set content to theBody & return & return & content
			repeat with addr in toList
				make new to recipient at end of to recipients with properties {address:(contents of addr)}
			end repeat
			repeat with addr in ccList
				make new cc recipient at end of cc recipients with properties {address:(contents of addr)}
			end repeat
			repeat with p in attList
				make new attachment with properties {file name:(POSIX file (contents of p)) as alias} at after the last paragraph
			end repeat
		end tell
		send msg
	end tell
	return "forwarded"
end run
