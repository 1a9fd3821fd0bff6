"""Word pools for the synthetic generator: people, places, topics, files, phrasing pieces."""

FIRST_NAMES = [
    "Sid", "Lutfi", "Amir", "Priya", "Carol", "Jonas", "Nadia", "Marta", "Kenji", "Zoe", "Omar", "Grace", "Leo", "Ana",
    "Hannah", "Tomás", "Mia", "Chen", "Fatima", "Olu", "Sofía", "Björn", "Aisha", "Mateo", "Yuki", "Ravi", "Elena",
    "Kwame", "Ingrid", "Noah", "Chloé", "Diego", "Meera", "Pavel", "Lena", "Tariq", "Hye-jin", "Emeka", "Lucía",
    "François", "Dmitri", "Keanu", "Anouk", "Rahul", "Zainab", "Mateusz", "Ayşe", "Siobhan", "Thabo", "Mei",
    "Gabriel", "Isabella", "Ethan", "Olivia", "Arjun", "Camille", "Jakob", "Nora", "Santiago", "Amara", "Eren",
]
LAST_NAMES = [
    "Jha", "Erdoğan", "Gholami", "Patel", "Nguyen", "Schmidt", "Haddad", "Kowalski", "Tanaka", "Okafor", "García",
    "Müller", "Rossi", "Kim", "O'Brien", "Dubois", "Silva", "Andersson", "Novak", "Ibrahim", "Chen", "Moreau",
    "Lindqvist", "van der Berg", "Mensah", "Sato", "Costa", "Fischer", "Hernández", "Ahmed",
]
PLACES = [
    "Blue Bottle Coffee", "the Ferry Building", "Dolores Park", "SFO", "Union Square", "the Exploratorium", "Tartine",
    "Golden Gate Park", "the public library", "Oakland Airport", "Berkeley Marina", "the Apple Store on Market Street",
    "Central Station", "the city hall", "Café Flore", "the train station", "1 Infinite Loop, Cupertino",
    "350 Fifth Avenue, New York", "the Louvre", "Alexanderplatz", "the downtown gym", "Memorial Hospital",
    "Lake Merritt", "Stanford Shopping Center", "the office", "Terminal 2", "Brandenburg Gate", "Shibuya Crossing",
]
TOPICS = [
    "the demo", "the budget review", "hiring", "the product launch", "the quarterly planning", "the design review",
    "the offsite", "the roadmap", "onboarding", "the marketing plan", "the sprint retro", "the investor update",
    "the hackathon", "the team lunch", "the customer feedback", "the security audit", "the book club",
    "the wedding plans", "the camping trip", "the kids' soccer schedule", "the lease renewal", "the tax filing",
]
TASKS = [
    "buy milk", "call Mom", "water the plants", "pay the electricity bill", "pick up the dry cleaning",
    "submit the expense report", "book the dentist", "renew my passport", "send the invoice", "walk the dog",
    "buy a birthday gift", "take out the trash", "review the pull request", "back up my laptop", "return the library books",
    "order more coffee beans", "call the plumber", "stretch", "file the taxes", "check the oven",
]
PDFS = [
    "Q3 Report.pdf", "attention.pdf", "contract.pdf", "Product Catalog.pdf", "lease agreement.pdf", "research_paper.pdf",
    "meeting notes.pdf", "Annual Review 2026.pdf", "invoice_1042.pdf", "onboarding guide.pdf", "menu.pdf",
    "travel itinerary.pdf", "thesis draft.pdf", "insurance policy.pdf",
]
OTHER_FILES = [
    "budget.xlsx", "slides.key", "agenda.docx", "photo.jpg", "resume.docx", "roadmap.pptx", "notes.txt",
    "timeline.numbers", "logo.png", "data.csv",
]
NOTE_NAMES = [
    "Groceries", "Trip Ideas", "Packing List", "Standup", "Reading List", "Gift Ideas", "Project Phoenix",
    "Recipes", "Meeting Notes", "Books to Read", "Workout Plan", "Home Repairs", "Weekend Plans",
]
FOLDERS = ["Work", "Personal", "Travel", "Family", "Projects", "Ideas"]
LISTS = ["Work", "Personal", "Groceries", "Errands", "Home"]
CALENDARS = ["Work", "Home", "Family"]
NOTE_CONTENTS = [
    "eggs, milk and bread", "book flights and reserve the hotel", "shipped the parser; next up the executor",
    "passport, charger, sunscreen", "ask about the budget", "fix the leaking tap", "Dune, Middlemarch, Piranesi",
    "call the venue and confirm the catering", "3x5 squats, 3x5 bench", "remember to water the ferns",
]
MESSAGES = [
    "I'm running 10 minutes late", "dinner is at 8", "can you call me when you're free", "the package arrived",
    "happy birthday!", "I'll be there in 5", "don't forget the tickets", "the meeting moved to Thursday",
    "thanks for today", "can you pick up the kids", "I'm outside", "let's reschedule",
]
EMAIL_ASKS = [
    "ask for the budget report", "say thanks for the great presentation", "ask if they can review the draft",
    "share the agenda for next week", "let them know the meeting is postponed", "ask for the slides",
    "follow up on the invoice", "confirm the dinner reservation", "ask about their availability next week",
]
EMAIL_SUBJECTS = {
    "ask for the budget report": "Budget report", "say thanks for the great presentation": "Thank you",
    "ask if they can review the draft": "Draft review", "share the agenda for next week": "Agenda for next week",
    "let them know the meeting is postponed": "Meeting postponed", "ask for the slides": "Slides",
    "follow up on the invoice": "Invoice follow-up", "confirm the dinner reservation": "Dinner reservation",
    "ask about their availability next week": "Availability next week",
}
NEGATIVES = [
    "What's the weather like in Paris?", "Tell me a joke", "What is 17 times 23?", "Who won the world cup in 2018?",
    "How tall is Mount Everest?", "Translate good morning into Japanese", "Play some jazz", "Turn off the lights",
    "What's the capital of Australia?", "How do I boil an egg?", "Order a pizza", "Set the thermostat to 21 degrees",
    "Book me a flight to Lisbon", "what time is it in Tokyo", "recommend a good sci-fi novel",
]
POLITE = ["", "", "", "Please ", "Could you ", "Can you please ", "Hey, ", "I need you to ", "Quick one: "]
