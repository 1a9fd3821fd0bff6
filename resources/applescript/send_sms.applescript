-- send_sms: one message to each recipient through Messages (iMessage, else SMS).
-- argv: 1 message, 2 … phone numbers or e-mail handles
on run argv
	set theMessage to item 1 of argv
	set handles to items 2 thru -1 of argv
	tell application "Messages"
		set svc to missing value
		try
			set svc to 1st account whose service type = iMessage
		end try
		if svc is missing value then set svc to 1st account whose service type = SMS
		repeat with h in handles
			send theMessage to participant (contents of h) of svc
		end repeat
	end tell
	return "sent"
end run
