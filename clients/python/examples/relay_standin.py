"""A relay stand-in: a fake Gemini Live connection kept in step by tokenbudget serve (docs/providers.md)."""
import json

from tokenbudget import Client

SESSION = "relay-demo"
CALL = [  # what the provider would transcribe: (role, text, milliseconds of audio)
    ("user", "Hi, I'm thinking about solar panels for my roof.", 4200),
    ("model", "Great choice! How large is your roof, roughly?", 3800),
    ("user", "About sixty square metres, facing south.", 3500),
    ("model", "That fits around ten kilowatts of panels.", 3300),
    ("user", "And what would that cost me?", 2100),
    ("model", "About nine thousand euros, and ten percent off this month.", 4400),
]
connection = 1  # the provider's WebSocket we write to


def handle(result: dict) -> None:
    """Writes a result's `send` to the provider; carries out a re-seed plan on a new connection."""
    global connection
    for message in result["send"]:
        print(f"    -> connection {connection}: {json.dumps(message)[:90]}")
    if "reseed" in result:
        connection += 1
        print(f"    re-seed: {result['reseed']['reason']}")
        handle({"send": result["reseed"]["send"]})  # the new connection's setup and history
        handle(engine.resume_connected(session=SESSION, reseeded=True))


with Client.spawn(args=["--store", "none"], timeout=30) as engine:
    handle(engine.session_open(session=SESSION, script="You sell solar panels. Be brief.", provider="gemini-live",
                               model="gemini-2.5-flash-native-audio-preview-12-2025",
                               window=320, reserve=0,  # a budget of 320 tokens: seeds stay under the threshold
                               provider_policy={"reseedAt": 0.01,  # re-seed past 320 held tokens, to show one
                                                "setup": {"generationConfig": {"speechConfig": {  # the relay's voice, in every setup
                                                    "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}}}}}))
    engine.instruction_push(session=SESSION, text="Mention the 10% discount.")
    for role, text, audio_ms in CALL:
        if role == "user":
            handle(engine.client_speech_started(session=SESSION))  # voice activity: the instruction goes in
        result = engine.turn_append(session=SESSION, role=role, text=text, audio_ms=audio_ms)
        print(f"{role:>5}: {text} (the provider holds {result['provider']['held']} tokens)")
        handle(result)
        if role == "model":
            handle(engine.model_turn_complete(session=SESSION))
