"""The Rasa project and the engines that serve it; arrives with the assistant issue."""
