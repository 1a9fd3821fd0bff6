"""Word pools for requests written as prose (generator v2): large enough that no name, place or
subject repeats often across thousands of requests. v1's pools (``pools.py``) stay as they are, so
its splits, which committed evaluations were run on, can be made again byte for byte."""

from __future__ import annotations

FIRST_NAMES = [
    # English, with the nicknames people write
    "Sid", "Sam", "Alex", "Kate", "Katie", "Bob", "Robert", "Rob", "Liz", "Elizabeth", "Jim", "Jimmy", "Tom",
    "Tommy", "Will", "Bill", "Jen", "Jenny", "Mike", "Mikey", "Dave", "Chris", "Pat", "Nick", "Tony", "Becky",
    "Steph", "Maggie", "Ben", "Danny", "Andy", "Charlie", "Ellie", "Hannah", "Olivia", "Emma", "Noah", "Liam",
    "Grace", "Zoe", "Jack", "Harry", "Amelia", "Ruby", "Oscar", "Freddie", "Archie", "Poppy", "Isla", "Mia",
    "John", "Sarah", "Emily", "Michael", "Jessica", "Daniel", "Laura", "Matt", "Rachel", "Josh", "Megan",
    # Spanish and Portuguese
    "Lucía", "Mateo", "Sofía", "Diego", "Valentina", "Javi", "Pilar", "Paco", "Marisol", "Alejandro", "Inés",
    "João", "Thiago", "Beatriz", "Gonçalo", "Rafa", "Camila", "Joaquín", "Ximena", "Nacho",
    # French, Italian, German, Dutch, Nordic
    "Élodie", "Mathieu", "Chloé", "Étienne", "Amélie", "Giulia", "Matteo", "Francesca", "Luca", "Chiara",
    "Jürgen", "Lena", "Lukas", "Anneliese", "Maximilian", "Sven", "Astrid", "Bjørn", "Ingrid", "Freya",
    "Sanne", "Daan", "Joost", "Maarten", "Femke", "Mikael", "Sigrid", "Henrik", "Elin", "Aino",
    # Slavic, Greek, Hungarian
    "Łukasz", "Agnieszka", "Piotr", "Katarzyna", "Dmitri", "Natasha", "Olga", "Sasha", "Milena", "Dragan",
    "Nikos", "Eleni", "Yiannis", "Zsófia", "Bence", "Tereza", "Ondřej", "Bogdan", "Irina", "Vlad",
    # Turkish, Arabic, Persian, Hebrew
    "Lutfi", "Elif", "Mehmet", "Ayşe", "Emre", "Zeynep", "Omar", "Layla", "Youssef", "Fatima", "Khalid",
    "Amira", "Hassan", "Nour", "Amir", "Shirin", "Dariush", "Leila", "Navid", "Yael", "Avi", "Noa", "Eitan",
    # South Asian
    "Priya", "Arjun", "Ananya", "Rohan", "Kavya", "Vikram", "Deepa", "Rahul", "Sneha", "Aditya", "Lakshmi",
    "Sanjay", "Meera", "Raj", "Nisha", "Farhan", "Tanvir", "Ishaan",
    # East and Southeast Asian
    "Wei", "Mei", "Jun", "Li Na", "Xiaoming", "Haruto", "Yuki", "Sakura", "Kenji", "Aiko", "Min-jun", "Ji-woo",
    "Seo-yeon", "Hyun", "Linh", "Minh", "Thanh", "Anh", "Siti", "Budi", "Putri", "Arif", "Mai", "Hiro",
    # African
    "Chidi", "Ngozi", "Amara", "Kwame", "Abena", "Tendai", "Thandiwe", "Sipho", "Zanele", "Kofi", "Ama",
    "Oluwaseun", "Chiamaka", "Wanjiru", "Baraka", "Aisha", "Tariq", "Makena", "Jabari", "Nia",
    # Latin American and Caribbean, Pacific
    "Guadalupe", "Lupita", "Rodrigo", "Fernanda", "Esteban", "Renata", "Andrés", "Mariana", "Emilio", "Paloma",
    "Keanu", "Leilani", "Mana", "Tane", "Aroha", "Malia",
]

LAST_NAMES = [
    "Jha", "Erdoğan", "Gholami", "Patel", "Nguyen", "Schmidt", "Smith", "Johnson", "Williams", "Brown", "Garcia",
    "Martínez", "Rodríguez", "López", "Hernández", "González", "Silva", "Santos", "Oliveira", "Costa", "Dubois",
    "Lefèvre", "Moreau", "Rossi", "Bianchi", "Romano", "Müller", "Schneider", "Fischer", "Weber", "Becker",
    "Jansen", "de Vries", "van Dijk", "Bakker", "Andersson", "Johansson", "Nielsen", "Hansen", "Virtanen",
    "Kowalski", "Nowak", "Wiśniewski", "Ivanov", "Petrova", "Novák", "Horváth", "Papadopoulos", "Yılmaz",
    "Kaya", "Demir", "Haddad", "Khan", "Rahman", "Hosseini", "Cohen", "Levi", "Mizrahi", "Sharma", "Gupta",
    "Singh", "Reddy", "Iyer", "Chatterjee", "Kapoor", "Wang", "Li", "Zhang", "Liu", "Chen", "Tanaka", "Sato",
    "Suzuki", "Takahashi", "Kim", "Park", "Lee", "Choi", "Tran", "Pham", "Le", "Santoso", "Wijaya", "Okafor",
    "Adeyemi", "Mensah", "Boateng", "Moyo", "Ndlovu", "Mwangi", "Otieno", "Diallo", "Traoré", "Kamara",
    "O'Brien", "McCarthy", "Murphy", "Kelly", "Fitzgerald", "MacLeod", "Campbell", "Stewart", "Thompson",
    "Walker", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Ramírez",
    "Flores", "Torres", "Rivera", "Gomez", "Díaz", "Reyes", "Cruz", "Morales", "Ortiz", "Kahananui", "Ngata",
]

# Places people ask maps for or hold events at: landmarks, cities, airports, venues, addresses.
PLACES = [
    "the Ferry Building", "Golden Gate Park", "Union Square", "SFO", "JFK", "LaGuardia", "Newark Airport",
    "O'Hare", "Heathrow", "Gatwick", "Charles de Gaulle", "Schiphol", "Frankfurt Airport", "Haneda", "Changi",
    "Times Square", "Central Park", "the Brooklyn Bridge", "the Met", "MoMA", "Grand Central Terminal",
    "the Empire State Building", "Wall Street", "the High Line", "Chelsea Market", "Fisherman's Wharf",
    "Alcatraz", "Lombard Street", "the Exploratorium", "Dolores Park", "Stanford University", "UC Berkeley",
    "the Chase Center", "Oracle Park", "Millennium Park", "the Art Institute of Chicago", "Navy Pier",
    "Wrigley Field", "the Space Needle", "Pike Place Market", "the Gum Wall", "Powell's Books",
    "the Getty Center", "Santa Monica Pier", "Venice Beach", "Griffith Observatory", "the Hollywood Bowl",
    "Balboa Park", "the Gaslamp Quarter", "the Alamo", "the Riverwalk", "Zilker Park", "South Congress",
    "Bourbon Street", "the French Quarter", "Faneuil Hall", "Fenway Park", "Harvard Square", "MIT",
    "the Boston Common", "the Smithsonian", "the Lincoln Memorial", "Union Station", "Dupont Circle",
    "the Liberty Bell", "Reading Terminal Market", "South Beach", "Little Havana", "Wynwood Walls",
    "the Louvre", "the Eiffel Tower", "Montmartre", "Gare du Nord", "the Colosseum", "Trastevere",
    "the Brandenburg Gate", "Alexanderplatz", "Museumsinsel", "the Rijksmuseum", "Vondelpark",
    "Tivoli Gardens", "Nyhavn", "the Sagrada Família", "Park Güell", "La Boqueria", "the Prado",
    "Puerta del Sol", "Belém Tower", "Alfama", "the British Museum", "King's Cross", "Borough Market",
    "Camden Market", "Hyde Park", "the Tate Modern", "Shibuya Crossing", "Shinjuku Station", "Asakusa",
    "Gangnam Station", "Gyeongbokgung", "Marina Bay Sands", "Gardens by the Bay", "the Bund",
    "Victoria Peak", "the Sydney Opera House", "Bondi Beach", "Federation Square", "Table Mountain",
    "the V&A Waterfront", "Zócalo", "Chapultepec Park", "Copacabana", "Ipanema", "La Boca", "Plaza de Mayo",
    "Stanley Park", "Granville Island", "the CN Tower", "Kensington Market", "Old Montreal", "Mount Royal",
    "Blue Bottle Coffee", "Tartine Bakery", "Zuni Café", "the Slanted Door", "Katz's Delicatessen",
    "Joe's Pizza", "the Grand Hyatt", "the Marriott Marquis", "the Hilton downtown", "the Four Seasons",
    "the Moscone Center", "the Javits Center", "the public library", "City Hall", "the county courthouse",
    "the farmers market", "the community center", "the Apple Store on Fifth Avenue", "Whole Foods",
    "Trader Joe's", "Costco", "IKEA", "Home Depot", "the DMV", "the post office", "the train station",
    "the bus terminal", "the ferry terminal", "the stadium", "the convention center", "the science museum",
    "the zoo", "the aquarium", "the botanical garden", "the climbing gym", "the yoga studio",
    "1 Infinite Loop, Cupertino", "350 Fifth Avenue", "221B Baker Street", "10 Downing Street",
    "1600 Amphitheatre Parkway", "500 Market Street", "88 Colin P Kelly Jr Street", "742 Evergreen Terrace",
    "Conference Room A", "Conference Room B", "the main auditorium", "the rooftop terrace", "Room 4.12",
    "Building 3, floor 2", "the lobby café", "the boardroom", "Lisbon", "Porto", "Kyoto", "Osaka", "Seoul",
    "Busan", "Hanoi", "Bangkok", "Bali", "Marrakech", "Cairo", "Nairobi", "Cape Town", "Lagos", "Accra",
    "Istanbul", "Athens", "Dubrovnik", "Prague", "Vienna", "Budapest", "Kraków", "Copenhagen", "Stockholm",
    "Oslo", "Helsinki", "Reykjavik", "Edinburgh", "Dublin", "Berlin", "Munich", "Zurich", "Geneva",
    "Barcelona", "Madrid", "Rome", "Florence", "Venice", "Milan", "Amsterdam", "Brussels", "Paris",
    "Mexico City", "Buenos Aires", "São Paulo", "Lima", "Bogotá", "Vancouver", "Toronto", "Montreal",
    "Austin", "Denver", "Portland", "Seattle", "Chicago", "Boston", "Miami", "Atlanta", "Nashville",
]

# What meetings, mails, notes and files are about.
SUBJECTS = [
    "Q3 budget review", "product launch", "design review", "quarterly planning", "hiring plan", "team offsite",
    "customer onboarding", "marketing campaign", "sales pipeline", "board meeting", "investor update",
    "sprint retrospective", "sprint planning", "roadmap", "security audit", "compliance training",
    "annual performance review", "one-on-one", "all-hands", "town hall", "project kickoff", "project handoff",
    "release notes", "bug bash", "hackathon", "demo day", "user research findings", "usability study",
    "brand refresh", "website redesign", "mobile app launch", "API migration", "data pipeline",
    "cloud costs", "vendor contract", "partnership proposal", "pricing strategy", "competitive analysis",
    "market research", "customer feedback", "support escalations", "churn analysis", "growth experiments",
    "content calendar", "social media plan", "newsletter", "press release", "conference talk",
    "workshop agenda", "training session", "onboarding checklist", "office move", "holiday party",
    "team lunch", "birthday celebration", "farewell drinks", "volunteer day", "charity run",
    "book club", "reading group", "journal club", "research paper", "thesis draft", "grant proposal",
    "lab meeting", "experiment results", "literature review", "conference submission", "peer review",
    "course syllabus", "lecture notes", "exam schedule", "parent-teacher conference", "school fundraiser",
    "science fair", "soccer practice", "piano recital", "dance rehearsal", "swim meet", "family reunion",
    "wedding planning", "baby shower", "housewarming", "anniversary dinner", "weekend getaway",
    "summer vacation", "ski trip", "road trip", "camping trip", "trip to Japan", "visa application",
    "passport renewal", "tax return", "insurance claim", "mortgage refinancing", "car maintenance",
    "dentist appointment", "doctor's appointment", "vet appointment", "physical therapy", "gym schedule",
    "meal plan", "grocery budget", "garden plans", "kitchen renovation", "bathroom remodel", "moving day",
    "apartment lease", "rent increase", "utility bills", "home insurance", "neighborhood watch",
    "HOA meeting", "city council meeting", "community garden", "recycling schedule", "block party",
    "fundraising gala", "donor outreach", "volunteer schedule", "event logistics", "catering order",
    "venue booking", "speaker lineup", "sponsorship deck", "ticket sales", "travel itinerary",
    "expense report", "reimbursement", "invoice dispute", "purchase order", "inventory count",
    "supply chain delays", "shipping schedule", "warehouse audit", "quality inspection", "safety drill",
    "incident postmortem", "outage review", "on-call rotation", "architecture review", "code freeze",
    "database upgrade", "launch checklist", "beta feedback", "feature flags", "A/B test results",
    "analytics dashboard", "OKR check-in", "strategy offsite", "leadership sync", "staff meeting",
    "client presentation", "pitch deck", "proposal draft", "statement of work", "contract renewal",
    "legal review", "privacy policy", "terms of service", "patent filing", "trademark application",
    "podcast recording", "video shoot", "photo shoot", "art exhibition", "film screening",
    "concert tickets", "theater night", "museum visit", "wine tasting", "cooking class", "pottery class",
]

FILE_KINDS = ["report", "notes", "proposal", "summary", "slides", "agenda", "minutes", "plan", "brief", "memo",
              "draft", "invoice", "contract", "itinerary", "checklist", "budget", "analysis", "review", "guide", "spec"]
PDF_NAMES = [
    "attention.pdf", "Product Catalog.pdf", "lease agreement.pdf", "research_paper.pdf", "whitepaper.pdf",
    "annual_report_2025.pdf", "user manual.pdf", "style guide.pdf", "employee handbook.pdf", "syllabus.pdf",
    "boarding pass.pdf", "insurance policy.pdf", "tax form W-2.pdf", "bank statement.pdf", "recipe book.pdf",
    "menu.pdf", "floor plan.pdf", "warranty.pdf", "terms.pdf", "NDA.pdf", "offer letter.pdf", "resume.pdf",
    "cover letter.pdf", "transcript.pdf", "certificate.pdf", "ticket.pdf", "receipt.pdf", "quote.pdf",
]
OTHER_EXTENSIONS = [".docx", ".xlsx", ".pptx", ".key", ".pages", ".numbers", ".txt", ".md", ".csv", ".png", ".jpg", ".zip"]
FOLDERS = ["Work", "Personal", "Travel", "Family", "Projects", "Ideas", "Meetings", "Recipes", "School", "Finance",
           "Health", "Home", "Reading", "Clients", "Research", "Archive"]
CALENDARS = ["Work", "Home", "Family", "Personal", "Team", "School", "Travel"]
LISTS = ["Work", "Personal", "Groceries", "Errands", "Home", "Shopping", "Today", "Someday", "Travel", "Family"]
NOTE_KINDS = ["Notes", "Ideas", "Action Items", "Checklist", "Log", "Plan", "Summary", "Minutes", "To-Do", "Journal"]

TASKS = [
    "buy milk", "call Mom", "water the plants", "pay the electricity bill", "pick up the dry cleaning",
    "submit the expense report", "renew the car registration", "book a haircut", "return the library books",
    "take out the recycling", "feed the cat", "walk the dog", "charge the laptop", "back up the photos",
    "order printer ink", "schedule the oil change", "send the thank-you cards", "pay rent", "refill the prescription",
    "cancel the free trial", "update the budget spreadsheet", "pack for the trip", "check in for the flight",
    "buy a birthday gift", "call the plumber", "book the restaurant", "confirm the babysitter", "mail the package",
    "sign the permission slip", "file the receipts", "clean the fridge", "change the air filter", "stretch",
    "drink water", "prepare the slides", "review the pull request", "reply to the landlord", "follow up with the recruiter",
]
MESSAGES = [
    "I'm running 10 minutes late", "dinner is ready", "can you call me when you're free", "the package arrived",
    "happy birthday!", "I'll be there in 5", "don't forget the tickets", "the meeting moved to the big room",
    "can you pick up the kids", "we're out of coffee", "great job on the presentation", "see you at the gate",
    "the train is delayed again", "I left the keys under the mat", "call me back when you can", "congrats on the new job",
    "are we still on for dinner", "I sent you the files", "traffic is terrible, start without me", "thanks for everything",
]
EMAIL_ASKS = [
    "ask for the latest numbers", "say thanks for the help last week", "ask whether they can review it soon",
    "share the agenda", "let them know the meeting is postponed", "ask for their feedback", "confirm the venue",
    "propose a new time", "introduce the new team members", "remind them about the deadline",
    "ask them to sign off", "share the key takeaways", "request the updated invoice", "follow up on our last call",
    "point out the open questions", "ask if they need anything else from us",
]
