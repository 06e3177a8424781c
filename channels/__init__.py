"""One adapter per channel (email, SMS, Telegram, phone, web chat); arrives with the channels issue."""
