"""Work agents behind one interface: ScriptedAgent (offline baseline), OpenAIAgent, ExternalAgent."""
