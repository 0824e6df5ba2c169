"""Pages of the Streamlit app (run by app.py through st.navigation)."""
