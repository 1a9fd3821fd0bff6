-- compose_new_email: a new message in Mail, sent at once (approval happens before this runs).
-- argv: 1 subject, 2 body, 3 recipient count R, then R addresses, then cc count C, then C addresses,
--       then attachment count A, then A POSIX paths
on run argv
	set theSubject to item 1 of argv
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
		set msg to make new outgoing message with properties {subject:theSubject, content:theBody & return & return, visible:false}
		tell msg
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
	return "sent"
end run
